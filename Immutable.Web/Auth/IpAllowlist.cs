using Immutable.Web.Api;
using Immutable.Web.Workspaces;

namespace Immutable.Web.Auth;

/// <summary>
/// The workspace's IP allow-list, applied to API keys (the API and the hub).
/// Invariant: a request authenticated by an API key whose workspace has a non-empty allow-list is answered 403 unless
/// the client address — the TCP peer, or X-Forwarded-For when the peer is one of <c>Geo:TrustedProxies</c> (the
/// forwarding middleware runs first) — is in one of its networks. Viewer tokens (end users' browsers, anywhere) and
/// dashboard sessions are not API keys and are not limited by it.
/// </summary>
public static class IpAllowlist
{
    public static readonly ApiError NotAllowed = new("forbidden", "Your IP address is not in the workspace allowlist.");

    /// <summary>After authentication (which resolved the key), before authorization and the endpoints.</summary>
    public static WebApplication UseIpAllowlist(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.User.FindFirst(ApiKeyAuthenticationHandler.KeyPrefixClaim) is not null
                && context.User.WorkspaceIdOrNull() is { } workspaceId)
            {
                var policy = await context.RequestServices.GetRequiredService<WorkspaceSettingsStore>().GetAsync(workspaceId, context.RequestAborted);
                if (!policy.Allows(context.Connection.RemoteIpAddress))
                {
                    await ErrorHandling.WriteAsync(context, StatusCodes.Status403Forbidden, NotAllowed);
                    return;
                }
            }
            await next(context);
        });
        return app;
    }
}
