namespace Immutable.Web.Storage;

// Persistence shapes. Domain records carry no EF attributes; these rows are mapped to and from them.
// Times are UTC DateTime stored as ticks (SQLite cannot compare DateTimeOffset in SQL).

public sealed class WorkspaceRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Events older than this many days are archived and removed from the store; null keeps them forever.</summary>
    public int? RetentionDays { get; set; }
}

public sealed class ApiKeyRecord
{
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required string Label { get; set; }
    /// <summary>The first characters of the key, shown in lists so people can tell keys apart.</summary>
    public required string Prefix { get; set; }
    /// <summary>Lowercase hex SHA-256 of the whole key; the key itself is never stored.</summary>
    public required string KeyHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>When the key last authenticated a request, to about a minute (Workspaces/KeyUsage).</summary>
    public DateTime? LastUsedAt { get; set; }
}

public sealed class EventRecord
{
    public long RowId { get; set; }
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public long Sequence { get; set; }
    public required string ActorId { get; set; }
    public string? ActorName { get; set; }
    public string? ActorType { get; set; }
    public required string Action { get; set; }
    public string? ActionCategory { get; set; }
    public string? Resource { get; set; }
    public string? ResourceId { get; set; }
    public string? ResourceName { get; set; }
    /// <summary>Canonical JSON array of targets, null when there are none.</summary>
    public string? Targets { get; set; }
    public string? Metadata { get; set; }
    public string? TenantId { get; set; }
    public string? SessionId { get; set; }
    public string? IpAddress { get; set; }
    public string? IpCountry { get; set; }
    public string? IpCity { get; set; }
    public double? IpLatitude { get; set; }
    public double? IpLongitude { get; set; }
    public int? IpAccuracyRadiusKm { get; set; }
    public string? IpTimeZone { get; set; }
    public string? UserAgent { get; set; }
    public string? IdempotencyKey { get; set; }
    public int? Version { get; set; }
    public DateTime OccurredAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? PreviousEventHash { get; set; }
    public required string EventHash { get; set; }
    /// <summary>Stored although its action matched none of the workspace's permissive schema patterns.</summary>
    public bool SchemaViolation { get; set; }
}

/// <summary>
/// One row per actor a workspace has seen (its latest non-null display name), kept by a trigger on <c>events</c>
/// (migration ActorDirectoryAndSearchIndexes, both providers): global search looks actors up by id or name here, a
/// table as small as the number of actors, so a "contains" match never scans the events. Retention does not remove
/// actors whose events were archived.
/// </summary>
public sealed class ActorRecord
{
    public required string WorkspaceId { get; set; }
    public required string ActorId { get; set; }
    public string? ActorName { get; set; }
}

/// <summary>
/// Per-workspace settings of the viewer, the IP allow-list and the event schema (one row per workspace, created on
/// first use). Lists are JSON arrays of strings.
/// </summary>
public sealed class WorkspaceSettingsRecord
{
    public required string WorkspaceId { get; set; }
    /// <summary>
    /// The HMAC key of the workspace's viewer tokens (base64, 32 random bytes), made on the first token. Never returned
    /// by the API or shown in the dashboard; rotating it revokes every viewer token at once.
    /// </summary>
    public string? ViewerSecret { get; set; }
    /// <summary>Origins allowed to frame the embeddable viewer (CSP frame-ancestors); empty = none.</summary>
    public string FrameAncestors { get; set; } = "[]";
    /// <summary>IPs and CIDRs API keys may be used from; empty = everywhere.</summary>
    public string IpAllowlist { get; set; } = "[]";
    /// <summary>"strict" or "permissive".</summary>
    public string SchemaMode { get; set; } = "strict";
    /// <summary>Action patterns (document.created, document.*, *); empty = every action accepted.</summary>
    public string SchemaPatterns { get; set; } = "[]";
    public DateTime UpdatedAt { get; set; }
}

/// <summary>One row per target of an event, so "any target matches" filters use an index.</summary>
public sealed class EventTargetRecord
{
    public long RowId { get; set; }
    public long EventRowId { get; set; }
    public required string WorkspaceId { get; set; }
    public required string Type { get; set; }
    public string? TargetId { get; set; }
}
