using System.Security.Claims;
using Immutable.Web.Auth;
using Immutable.Web.Storage;

namespace Immutable.Web.Accounts;

/// <summary>The signed-in person as the dashboard sees them: who, which workspace, which role there.</summary>
public sealed record DashboardUser(string Id, string Email, string Name, string WorkspaceId, string WorkspaceName, string Role, string? SessionId = null)
{
    public const string UserIdClaim = "user_id";
    /// <summary>The server-side session (dashboard_sessions) the cookie belongs to.</summary>
    public const string SessionClaim = "session_id";
    public const string EmailClaim = "user_email";
    public const string WorkspaceNameClaim = "workspace_name";

    public bool CanConfigure => Roles.CanConfigure(Role);
    public bool CanManageMembers => Roles.CanManageMembers(Role);

    /// <summary>This member as the acting principal of the application services.</summary>
    public WorkspacePrincipal Caller => WorkspacePrincipal.From(this);

    public static DashboardUser? From(ClaimsPrincipal principal) =>
        principal.FindFirstValue(UserIdClaim) is { } id
            ? new DashboardUser(id, principal.FindFirstValue(EmailClaim)!, principal.FindFirstValue(ClaimTypes.Name) ?? "",
                principal.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim)!, principal.FindFirstValue(WorkspaceNameClaim) ?? "",
                principal.FindFirstValue(ClaimTypes.Role)!, principal.FindFirstValue(SessionClaim))
            : null;

    public static ClaimsPrincipal Principal(DashboardUserRecord user, Membership membership, string sessionId) => new(new ClaimsIdentity(
    [
        new Claim(SessionClaim, sessionId),
        new Claim(UserIdClaim, user.Id),
        new Claim(EmailClaim, user.Email),
        new Claim(ClaimTypes.Name, user.Name),
        new Claim(ApiKeyAuthenticationHandler.WorkspaceClaim, membership.WorkspaceId),
        new Claim(WorkspaceNameClaim, membership.WorkspaceName),
        new Claim(ClaimTypes.Role, membership.Role),
    ], AccountsExtensions.CookieScheme, ClaimTypes.Name, ClaimTypes.Role));
}
