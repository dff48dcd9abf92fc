using System.Security.Claims;
using System.Text.Encodings.Web;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Viewer;

/// <summary>
/// Viewer tokens as a scheme of their own. Invariant: only endpoints whose policy names <see cref="ViewerAuth.ReadPolicy"/>
/// run this scheme (GET /api/v1/events and /events/{id}); everywhere else the default API-key scheme sees a JWT, which is
/// no key, and answers 401. The principal it builds carries <see cref="ScopeClaim"/>, which
/// <see cref="WorkspacePrincipal.From(ClaimsPrincipal)"/> refuses, so no application service can act for a viewer.
/// </summary>
public sealed class ViewerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ViewerTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ViewerToken";
    public const string ScopeClaim = "viewer";
    public const string TenantClaim = "viewer_tenant_id";
    public const string ActorClaim = "viewer_actor_id";
    private const string FailureKey = "viewer-auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ViewerAuth.BearerToken(Request);
        if (token is null) return AuthenticateResult.NoResult();
        var (status, scope) = await tokens.ValidateAsync(token, Context.RequestAborted);
        switch (status)
        {
            case ViewerTokenStatus.Valid:
                break;
            case ViewerTokenStatus.Expired:
                Context.Items[FailureKey] = "The viewer token has expired.";
                return AuthenticateResult.Fail("Expired viewer token.");
            case ViewerTokenStatus.Invalid:
                return AuthenticateResult.Fail("Invalid viewer token.");
            default:
                throw new InvalidOperationException("unknown token status");
        }
        var claims = new List<Claim> { new(ApiKeyAuthenticationHandler.WorkspaceClaim, scope!.WorkspaceId), new(ScopeClaim, "read") };
        if (scope.TenantId is not null) claims.Add(new Claim(TenantClaim, scope.TenantId));
        if (scope.ActorId is not null) claims.Add(new Claim(ActorClaim, scope.ActorId));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var message = Context.Items[FailureKey] as string ?? "Invalid or missing viewer token or API key.";
        return ErrorHandling.WriteAsync(Context, StatusCodes.Status401Unauthorized, new ApiError("unauthenticated", message));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteAsync(Context, StatusCodes.Status403Forbidden, new ApiError("forbidden", "A viewer token may only read events."));
}

public static class ViewerAuth
{
    /// <summary>API keys or viewer tokens, whichever the Bearer token is (the reads of events).</summary>
    public const string KeyOrViewerScheme = "ApiKeyOrViewerToken";
    public const string ReadPolicy = "EventsRead";

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? header[bearer.Length..].Trim() : null;
    }

    /// <summary>The scope a viewer token forces on reads; null when the caller is an API key.</summary>
    public static ViewerScope? Scope(this ClaimsPrincipal user) =>
        user.HasClaim(c => c.Type == ViewerAuthenticationHandler.ScopeClaim)
            ? new ViewerScope(user.WorkspaceId(), user.FindFirstValue(ViewerAuthenticationHandler.TenantClaim), user.FindFirstValue(ViewerAuthenticationHandler.ActorClaim), default)
            : null;

    public static IHostApplicationBuilder AddViewer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ViewerTokens>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ViewerAuthenticationHandler>(ViewerAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(KeyOrViewerScheme, null, o => o.ForwardDefaultSelector = context =>
                BearerToken(context.Request) is { } token && ViewerTokens.LooksLikeToken(token)
                    ? ViewerAuthenticationHandler.SchemeName
                    : ApiKeyAuthenticationHandler.SchemeName);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.AddAuthenticationSchemes(KeyOrViewerScheme).RequireClaim(ApiKeyAuthenticationHandler.WorkspaceClaim));
        return builder;
    }
}
