using Immutable.Domain.Alerts;

namespace Immutable.Web.Storage;

public sealed class MonitorRecord
{
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; }
    /// <summary>The whole definition as the API shows it (scope, conditions, metric, thresholds...), snake_case JSON.</summary>
    public required string Definition { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ObservationRecord : IAcknowledgeable, IRowKeyed
{
    public long RowId { get; set; }
    /// <summary>obs_ + a UUID derived from (monitor, user, window end): re-evaluation cannot duplicate it.</summary>
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required string MonitorId { get; set; }
    public required string MonitorName { get; set; }
    public required string Metric { get; set; }
    public required string UserId { get; set; }
    public long ProfileId { get; set; }
    public required Severity Severity { get; set; }
    public double MetricValue { get; set; }
    public double Threshold { get; set; }
    public DateTime WindowStart { get; set; }
    public DateTime WindowEnd { get; set; }
    public required string Message { get; set; }
    public required AlertStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>What the monitor's notify mode decided: delivery sends it (never / each / first per user).</summary>
    public bool NotificationRequired { get; set; }
    public DateTime? NotifiedAt { get; set; }
    public int RelatedEventCount { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? AcknowledgementNote { get; set; }
    public int Version { get; set; }
    /// <summary>The incident it was grouped into when committed (null for observations older than incidents).</summary>
    public string? IncidentId { get; set; }
}

/// <summary>The events behind an observation, one row each so they can be paged.</summary>
public sealed class ObservationEventRecord
{
    public long ObservationRowId { get; set; }
    public required string EventId { get; set; }
    public DateTime OccurredAt { get; set; }
}

/// <summary>An opaque, stable integer per (workspace, user): what observation webhooks show instead of personal data.</summary>
public sealed class UserProfileRecord
{
    public required string WorkspaceId { get; set; }
    public required string ActorId { get; set; }
    public long ProfileId { get; set; }
}

public sealed class MonitorCheckpointRecord
{
    public required string WorkspaceId { get; set; }
    public long LastSequence { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// The persisted window state of one monitor: which definition (and query action patterns) its buckets were counted
/// with, and up to which event sequence. Buckets hold every event of the monitor after <see cref="SinceSequence"/> up to
/// <see cref="ThroughSequence"/>; a (user, day) without a bucket row may still hold events up to SinceSequence
/// (counted from the events when first needed). A definition change, or a pass that ran without this monitor
/// (disabled), starts the state over.
/// </summary>
public sealed class MonitorStateRecord
{
    public required string WorkspaceId { get; set; }
    public required string MonitorId { get; set; }
    public required string DefinitionHash { get; set; }
    public long SinceSequence { get; set; }
    public long ThroughSequence { get; set; }
}

/// <summary>One (monitor, user, UTC day)'s metric in 10-minute buckets (<c>MetricDays</c> encoding).</summary>
public sealed class MonitorBucketDayRecord
{
    public required string WorkspaceId { get; set; }
    public required string UserId { get; set; }
    /// <summary>Days since 0001-01-01 UTC.</summary>
    public long Day { get; set; }
    public required string MonitorId { get; set; }
    public required byte[] Buckets { get; set; }
}
