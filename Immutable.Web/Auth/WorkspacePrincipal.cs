using System.Security.Claims;
using Immutable.Web.Accounts;
using Immutable.Web.Audit;

namespace Immutable.Web.Auth;

/// <summary>
/// Who is acting, for the application services: the workspace every read and write is confined to, the actor the
/// audit record names, and the role that decides what may change. Built from an API key's claims or from the
/// signed-in member, never from anything a request or page passes in. <see cref="Email"/> is the member's (null for a key).
/// </summary>
public sealed record WorkspacePrincipal(string WorkspaceId, AuditActor Actor, string Role, string? Email = null)
{
    /// <summary>Admins and owners (and API keys) configure rules, monitors, keys and webhooks; analysts triage.</summary>
    public bool CanConfigure => Roles.CanConfigure(Role);

    /// <summary>Only owners invite, re-role and remove members.</summary>
    public bool CanManageMembers => Roles.CanManageMembers(Role);

    /// <summary>
    /// The caller of an API request: an API key ("api_key:imk_AbCdEfGh" named by its label) configures like an admin;
    /// a signed-in member ("user:ana@example.com") has their role.
    /// </summary>
    public static WorkspacePrincipal From(ClaimsPrincipal user) =>
        // A viewer token reads events and nothing else: it is never an actor of an application service.
        user.HasClaim(c => c.Type == Viewer.ViewerAuthenticationHandler.ScopeClaim)
            ? throw new InvalidOperationException("A viewer token is not a workspace principal.")
            : DashboardUser.From(user) is { } member
            ? From(member)
            : new(user.WorkspaceId(),
                new("api_key:" + user.FindFirstValue(ApiKeyAuthenticationHandler.KeyPrefixClaim), user.FindFirstValue(ApiKeyAuthenticationHandler.KeyLabelClaim), "api_key"),
                Roles.Admin);

    public static WorkspacePrincipal From(DashboardUser user) => new(user.WorkspaceId, new("user:" + user.Email, user.Name, "user"), user.Role, user.Email);
}
