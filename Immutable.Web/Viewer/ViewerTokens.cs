using System.Globalization;
using Immutable.Web.Workspaces;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Immutable.Web.Viewer;

/// <summary>What a valid viewer token lets its bearer read: one workspace, narrowed to a tenant and/or an actor.</summary>
public sealed record ViewerScope(string WorkspaceId, string? TenantId, string? ActorId, DateTimeOffset ExpiresAt);

public sealed record IssuedViewerToken(string Token, DateTimeOffset ExpiresAt);

public enum ViewerTokenStatus
{
    Valid,
    Invalid,
    Expired,
}

/// <summary>
/// Viewer tokens: HS256 JWTs signed with the workspace's own key (<see cref="WorkspaceSettingsStore.ViewerSecretAsync"/>).
/// Invariant: a token is accepted only if its signature verifies under the key of the workspace it names, its issuer and
/// audience are ours, and its exp (read with the injected clock) is in the future; the scope comes from those signed
/// claims alone. A token signed for one workspace cannot name another: the other workspace's key does not verify it.
/// </summary>
public sealed class ViewerTokens(WorkspaceSettingsStore settings, TimeProvider time)
{
    public const string Issuer = "immutable";
    public const string Audience = "immutable-viewer";
    public const string WorkspaceClaim = "workspace_id";
    public const string TenantClaim = "tenant_id";
    public const string ActorClaim = "actor_id";
    public const int DefaultTtlSeconds = 3600;
    public const int MinTtlSeconds = 60;
    public const int MaxTtlSeconds = 86400;
    private const int MaxTokenLength = 4096;

    // Times come from the TimeProvider, never from the library's own clock (tests run on a fake one).
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedViewerToken> IssueAsync(string workspaceId, string? tenantId, string? actorId, int ttlSeconds, CancellationToken ct = default)
    {
        var key = await settings.ViewerSecretAsync(workspaceId, ct);
        var now = time.GetUtcNow();
        // Whole seconds: exp is a NumericDate, and expires_at should say exactly what the token says.
        now = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expires = now.AddSeconds(ttlSeconds);
        var claims = new Dictionary<string, object> { [WorkspaceClaim] = workspaceId };
        if (tenantId is not null) claims[TenantClaim] = tenantId;
        if (actorId is not null) claims[ActorClaim] = actorId;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
        return new IssuedViewerToken(token, expires);
    }

    /// <summary>Cheap shape check before any lookup: three base64url parts.</summary>
    public static bool LooksLikeToken(string text) =>
        text.Length is > 0 and <= MaxTokenLength && text.Count(c => c == '.') == 2 && !text.StartsWith("imk_", StringComparison.Ordinal);

    public async Task<(ViewerTokenStatus Status, ViewerScope? Scope)> ValidateAsync(string token, CancellationToken ct = default)
    {
        if (!LooksLikeToken(token) || !Handler.CanReadToken(token)) return (ViewerTokenStatus.Invalid, null);
        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (ViewerTokenStatus.Invalid, null);
        }
        if (!unverified.TryGetPayloadValue<string>(WorkspaceClaim, out var workspaceId) || string.IsNullOrEmpty(workspaceId) || workspaceId.Length > 64)
            return (ViewerTokenStatus.Invalid, null);
        var policy = await settings.GetAsync(workspaceId, ct);
        if (policy.ViewerSecret is not { } key) return (ViewerTokenStatus.Invalid, null);

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = new SymmetricSecurityKey(key),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateLifetime = false, // checked below against the injected clock
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken verified) return (ViewerTokenStatus.Invalid, null);
        if (!verified.TryGetPayloadValue<long>("exp", out var exp)) return (ViewerTokenStatus.Invalid, null);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (expiresAt <= time.GetUtcNow()) return (ViewerTokenStatus.Expired, null);
        verified.TryGetPayloadValue<string>(TenantClaim, out var tenant);
        verified.TryGetPayloadValue<string>(ActorClaim, out var actor);
        return (ViewerTokenStatus.Valid, new ViewerScope(workspaceId, tenant, actor, expiresAt));
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
