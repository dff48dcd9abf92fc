using Immutable.Domain;
using System.Text.Json.Nodes;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;

namespace Immutable.Web.Accounts;

/// <summary>An invitation: the one-time token for someone new, or none when they already had an account.</summary>
public sealed record Invitation(string Email, string Role, string? Token);

/// <summary>
/// A workspace's members as its owners manage them: invite, change a role, remove. Every change is recorded in the
/// workspace's chain, and the affected member's open dashboard tabs lose or gain access at once (the account service
/// publishes MemberAccessChanged).
/// </summary>
public sealed class MemberService(AccountService accounts, AuditTrail audit)
{
    public Task<IReadOnlyList<(WorkspaceMemberRecord Member, bool HasAccount)>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default) =>
        accounts.MembersAsync(who.WorkspaceId, ct);

    public async Task<Result<Invitation>> InviteAsync(WorkspacePrincipal who, string email, string? name, string role, CancellationToken ct = default)
    {
        if (!who.CanManageMembers) return Problem.Forbidden;
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        var (token, violations) = await accounts.InviteAsync(who.WorkspaceId, email, name, role, ct);
        if (violations.Count > 0) return Problem.Invalid(violations.Select(v => new Violation(v.Field, v.Message)).ToList());
        var normalised = email.Trim().ToLowerInvariant();
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "member.invited", "member", normalised, name, new JsonObject { ["role"] = role }, ct);
        return new Invitation(normalised, role, token);
    }

    /// <summary>Gives a member another role; a workspace always keeps at least one owner.</summary>
    public Task<Result<Done>> ChangeRoleAsync(WorkspacePrincipal who, string email, string role, CancellationToken ct = default) =>
        ChangeAsync(who, email, role, ct);

    /// <summary>Removes a member and ends their sessions here; the last owner cannot be removed.</summary>
    public Task<Result<Done>> RemoveAsync(WorkspacePrincipal who, string email, CancellationToken ct = default) =>
        ChangeAsync(who, email, null, ct);

    private async Task<Result<Done>> ChangeAsync(WorkspacePrincipal who, string email, string? role, CancellationToken ct)
    {
        if (!who.CanManageMembers) return Problem.Forbidden;
        var member = (await accounts.MembersAsync(who.WorkspaceId, ct)).Select(m => m.Member).FirstOrDefault(m => m.Email == email);
        if (member is null) return Problem.NotFound("Member");
        if (await accounts.ChangeMemberAsync(who.WorkspaceId, email, role, ct) is { } refused)
            return role is not null && !Roles.All.Contains(role) ? Problem.Invalid("role", refused) : Problem.Conflict(new ApiError("conflict", refused));
        await audit.RecordAsync(who.WorkspaceId, who.Actor, role is null ? "member.removed" : "member.role_changed", "member", member.Email, member.Name,
            new JsonObject { ["before"] = WireName.Of(member.Role), ["after"] = role }, ct);
        return new Done();
    }
}
