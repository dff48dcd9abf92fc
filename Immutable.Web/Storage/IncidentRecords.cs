using Immutable.Domain.Alerts;

namespace Immutable.Web.Storage;

/// <summary>
/// Findings (alerts, observations) about one actor, session or IP address close in time, triaged together. While it
/// collects, <see cref="OpenKey"/> holds its grouping key; a unique index on (workspace, open_key) makes it the only
/// incident of the workspace collecting that key, whichever instance groups. A resolved incident, or one whose window
/// has passed (a newer incident took the key), has no open key.
/// </summary>
public sealed class IncidentRecord : IRowKeyed
{
    public long RowId { get; set; }
    /// <summary>inc_ + a UUID.</summary>
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required IncidentGrouping GroupBy { get; set; }
    public required string GroupValue { get; set; }
    public string? OpenKey { get; set; }
    /// <summary>The name of the rule or monitor of its first finding.</summary>
    public required string Title { get; set; }
    public required string ActorId { get; set; }
    public string? ActorName { get; set; }
    /// <summary>The highest severity of its findings.</summary>
    public required Severity Severity { get; set; }
    public required IncidentStatus Status { get; set; }
    public IncidentResolution? Resolution { get; set; }
    public string? Note { get; set; }
    /// <summary>A member's email (lower-cased), or null.</summary>
    public string? Assignee { get; set; }
    public int AlertCount { get; set; }
    public int ObservationCount { get; set; }
    /// <summary>Event time of its earliest and latest finding (the window is measured from the latest).</summary>
    public DateTime FirstActivityAt { get; set; }
    public DateTime LastActivityAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? ResolvedBy { get; set; }
    /// <summary>A concurrency token: grouping and people's changes never overwrite each other unseen.</summary>
    public int Version { get; set; }
}

public sealed class IncidentCommentRecord
{
    public long RowId { get; set; }
    public long IncidentRowId { get; set; }
    public required string WorkspaceId { get; set; }
    /// <summary>The audit actor id (user:… or api_key:…) and its display name.</summary>
    public required string AuthorId { get; set; }
    public string? AuthorName { get; set; }
    public required string Text { get; set; }
    public DateTime CreatedAt { get; set; }
}
