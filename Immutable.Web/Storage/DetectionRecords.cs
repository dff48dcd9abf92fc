using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;

namespace Immutable.Web.Storage;

public sealed class AlertRuleRecord
{
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required string Name { get; set; }
    public required RuleType RuleType { get; set; }
    public bool Enabled { get; set; }
    public required Severity Severity { get; set; }
    /// <summary>The conditions as the API shows them (snake_case JSON, defaults filled in).</summary>
    public required string Conditions { get; set; }
    public required string Channels { get; set; }
    public int CooldownMinutes { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A finding analysts triage: open until someone acknowledges it (who, when, why).</summary>
/// <summary>A row listed newest first in pages: its autoincrement key orders it, its public id names it in cursors.</summary>
public interface IRowKeyed
{
    long RowId { get; }
    string Id { get; }
}

public interface IAcknowledgeable
{
    AlertStatus Status { get; set; }
    DateTime? AcknowledgedAt { get; set; }
    string? AcknowledgedBy { get; set; }
    string? AcknowledgementNote { get; set; }
    /// <summary>
    /// Bumped by every triage change; a change is written only where the version is still the one read, so of two
    /// acknowledgements racing one wins and the other is told (409) instead of silently overwriting it.
    /// </summary>
    int Version { get; set; }
}

public sealed class AlertRecord : IAcknowledgeable, IRowKeyed
{
    public long RowId { get; set; }
    /// <summary>alt_ + a UUID derived from (rule, triggering event or window): replays cannot duplicate it.</summary>
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public required string RuleId { get; set; }
    public required string RuleName { get; set; }
    public required RuleType RuleType { get; set; }
    public required Severity Severity { get; set; }
    public required AlertStatus Status { get; set; }
    public required string Reason { get; set; }
    public required string GroupKey { get; set; }
    public required string ActorId { get; set; }
    public string? EventId { get; set; }
    /// <summary>Snapshot of the triggering event in the flat shape (null for workspace-level alerts).</summary>
    public string? Event { get; set; }
    public required string Context { get; set; }
    public required string RelatedEventIds { get; set; }
    /// <summary>Event time of the first hit: the cooldown is measured from it.</summary>
    public DateTime FirstEventAt { get; set; }
    public DateTime TriggeredAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public int HitCount { get; set; }
    public DateTime? NotifiedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? AcknowledgementNote { get; set; }
    public int Version { get; set; }
    /// <summary>The incident it was grouped into when committed (null for alerts older than incidents).</summary>
    public string? IncidentId { get; set; }
}

/// <summary>The last event sequence of a workspace that stream detection has fully processed.</summary>
public sealed class DetectionCheckpointRecord
{
    public required string WorkspaceId { get; set; }
    public long LastSequence { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>new_country memory: the countries an actor has been seen in, per rule.</summary>
public sealed class RuleActorCountryRecord
{
    public required string RuleId { get; set; }
    public required string ActorId { get; set; }
    public required string Country { get; set; }
}

/// <summary>impossible_travel memory: the actor's last geolocated event, per rule.</summary>
public sealed class RuleTravelFixRecord
{
    public required string RuleId { get; set; }
    public required string ActorId { get; set; }
    public required string EventId { get; set; }
    public DateTime At { get; set; }
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public string? Country { get; set; }
    public string? City { get; set; }
}
