namespace Immutable.Web.Storage;

/// <summary>A person of a workspace with a role (owner, admin, analyst). Owners and admins receive alert email.</summary>
public sealed class WorkspaceMemberRecord
{
    public required string WorkspaceId { get; set; }
    public required string Email { get; set; }
    public string? Name { get; set; }
    public required string Role { get; set; }
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
