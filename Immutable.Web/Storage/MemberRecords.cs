using Immutable.Web.Accounts;
namespace Immutable.Web.Storage;

/// <summary>A person of a workspace with a role (owner, admin, analyst). Owners and admins receive alert email.</summary>
public sealed class WorkspaceMemberRecord
{
    public required string WorkspaceId { get; set; }
    public required string Email { get; set; }
    public string? Name { get; set; }
    public required Role Role { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A finding waiting to be emailed; written in the same transaction as the alert or observation.</summary>
public sealed class EmailItemRecord
{
    public long RowId { get; set; }
    public required string WorkspaceId { get; set; }
    public required string Kind { get; set; }
    public required string RecordId { get; set; }
    public required string Severity { get; set; }
    public required string Title { get; set; }
    public required string Reason { get; set; }
    public string? Actor { get; set; }
    public string? Country { get; set; }
    public required string Link { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
}

/// <summary>A person who signs in to the dashboard; what they may do in a workspace is their membership's role.</summary>
public sealed class DashboardUserRecord
{
    public required string Id { get; set; }
    /// <summary>Lower-cased; the join key to <see cref="WorkspaceMemberRecord.Email"/>.</summary>
    public required string Email { get; set; }
    public required string Name { get; set; }
    /// <summary>ASP.NET Core Identity's PBKDF2 format (PasswordHasher v3): never the password.</summary>
    public required string PasswordHash { get; set; }
    public int FailedSignIns { get; set; }
    public DateTime? LockedUntil { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// A signed-in dashboard session: the cookie carries only its id. Signing out, a lockout or removal ends it here, so a
/// copied cookie stops working at once (the cookie is checked against this row on every request).
/// </summary>
public sealed class DashboardSessionRecord
{
    public required string Id { get; set; }
    public required string UserId { get; set; }
    public required string WorkspaceId { get; set; }
    /// <summary>Lower-cased; with <see cref="WorkspaceId"/> the membership whose role the session follows.</summary>
    public required string Email { get; set; }
    public string? ClientAddress { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    /// <summary>"signed_out", "locked_out" or "removed".</summary>
    public string? EndReason { get; set; }
}

/// <summary>A one-time link: the first owner's setup, or an invitation. Only the SHA-256 of the token is stored.</summary>
public sealed class AccountTokenRecord
{
    public required string TokenHash { get; set; }
    /// <summary>"setup" (first owner, creates the workspace) or "invite" (joins <see cref="WorkspaceId"/>).</summary>
    public required string Purpose { get; set; }
    public string? WorkspaceId { get; set; }
    public string? Email { get; set; }
    public Role? Role { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
    public DateTime CreatedAt { get; set; }
}
