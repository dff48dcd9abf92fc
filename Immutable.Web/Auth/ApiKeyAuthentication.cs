using System.Security.Claims;
using System.Text.Encodings.Web;
using Immutable.Web.Api;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Auth;

/// <summary>
/// Bearer API keys. Invariant: a request is authenticated only by a key whose hash is stored and not
/// revoked; the workspace claim comes from that row alone, and every query filters on it.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyCache keys,
    KeyUsage usage)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string WorkspaceClaim = "workspace_id";
    public const string KeyPrefixClaim = "key_prefix";
    public const string KeyLabelClaim = "key_label";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        // Browsers cannot set headers on a WebSocket: the hub (and only the hub) also takes ?access_token=.
        if (header.Length == 0 && Request.Path.StartsWithSegments("/hubs") && Request.Query["access_token"].ToString() is { Length: > 0 } token)
            header = "Bearer " + token;
        if (header.Length == 0) return AuthenticateResult.NoResult();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("Not a Bearer token.");

        var key = header[bearer.Length..].Trim();
        var resolved = await keys.ResolveAsync(key, Context.RequestAborted);
        if (resolved is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        usage.Seen(resolved.Id); // memory only; written at most once a minute (KeyUsage)

        var identity = new ClaimsIdentity(
            [new Claim(WorkspaceClaim, resolved.WorkspaceId), new Claim(KeyPrefixClaim, resolved.Prefix), new Claim(KeyLabelClaim, resolved.Label)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorHandling.WriteAsync(Context, StatusCodes.Status401Unauthorized, ApiError.Unauthenticated);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteAsync(Context, StatusCodes.Status403Forbidden);
}

public static class WorkspaceClaims
{
    /// <summary>The authenticated caller's workspace. Endpoints behind the API key policy always have one.</summary>
    public static string WorkspaceId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim)
        ?? throw new InvalidOperationException("No workspace on an authenticated request.");

    public static string? WorkspaceIdOrNull(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim);
}

public static class AuthExtensions
{
    public const string ApiKeyPolicy = "ApiKey";

    public static IHostApplicationBuilder AddApiKeyAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WorkspaceDirectory>();
        builder.Services.AddSingleton<ApiKeyService>();
        builder.Services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<KeyRevocations>();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddSingleton<KeyUsage>();
        builder.Services.AddHostedService<KeyUsageFlusher>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyPolicy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.WorkspaceClaim));
        return builder;
    }
}
