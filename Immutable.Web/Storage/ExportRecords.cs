namespace Immutable.Web.Storage;

/// <summary>Where an export is: queued, being written, ready to download, or failed (with a message).</summary>
public enum ExportStatus
{
    Pending,
    Processing,
    Completed,
    Failed,
}

public enum ExportFormat
{
    Csv,
    Ndjson,
}

/// <summary>An export of a workspace's events to a file under the data folder, downloadable until it expires.</summary>
public sealed class ExportRecord
{
    /// <summary>exp_ + a UUID.</summary>
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public ExportStatus Status { get; set; }
    public ExportFormat Format { get; set; }
    /// <summary>The filters as the API shows them (snake_case JSON object, only those given).</summary>
    public required string Filters { get; set; }
    /// <summary>The workspace's last sequence when the export was asked for: later events are not in it, so a rerun after a restart writes the same rows.</summary>
    public long SnapshotSequence { get; set; }
    /// <summary>Rows that match (counted when writing starts), then rows written once completed.</summary>
    public long? TotalRows { get; set; }
    public long RowsWritten { get; set; }
    public long? FileSize { get; set; }
    /// <summary>The file's name inside the exports folder (never a path from input).</summary>
    public string? FileName { get; set; }
    public string? ErrorMessage { get; set; }
    /// <summary>Who asked: "api_key:imk_…" or "user:email".</summary>
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When the expired file was removed (the row stays, so a late download gets 410, not 404).</summary>
    public DateTime? FileDeletedAt { get; set; }
}

/// <summary>One gzipped JSON Lines archive: a workspace's events of one UTC day, moved out of the store.</summary>
public sealed class ArchiveRecord
{
    /// <summary>arc_ + a UUID.</summary>
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    /// <summary>The UTC day (midnight) whose events (by created_at) the file holds.</summary>
    public DateTime Day { get; set; }
    /// <summary>The file's path relative to Retention:ArchivePath.</summary>
    public required string FileName { get; set; }
    public long EventCount { get; set; }
    public long FirstSequence { get; set; }
    public long LastSequence { get; set; }
    /// <summary>The link of the first archived event (null when it starts the chain).</summary>
    public string? FirstPreviousEventHash { get; set; }
    public required string FirstEventHash { get; set; }
    public required string LastEventHash { get; set; }
    public DateTime FirstCreatedAt { get; set; }
    public DateTime LastCreatedAt { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>Lowercase hex SHA-256 of the file's bytes.</summary>
    public required string Sha256 { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// Where a workspace's stored chain now starts: the last archived (deleted) event. Verification links the oldest
/// remaining event to it, and the chain writer continues from it when no event is left.
/// </summary>
public sealed class RetentionCutRecord
{
    public required string WorkspaceId { get; set; }
    public long LastSequence { get; set; }
    public required string LastEventHash { get; set; }
    public DateTime LastCreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
