using Immutable.Domain.Alerts;
using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>A rule firing on an event: becomes a new alert, or a further hit on an open one (noise control).</summary>
/// <param name="GroupKey">What "the same finding" means for this rule: actor, actor+country, group value...</param>
/// <param name="EventTime">The time the finding is about (the event's occurred_at, or a window's end).</param>
public sealed record RuleHit(
    AlertRule Rule,
    string GroupKey,
    string ActorId,
    AuditEvent? Event,
    DateTime EventTime,
    string Reason,
    RuleContext Context,
    IReadOnlyList<Guid> RelatedEventIds)
{
    public Severity Severity => Rule.Severity;
}

/// <summary>Rule-specific facts carried by an alert, serialised as its <c>context</c>.</summary>
public abstract record RuleContext;

public sealed record NewCountryContext(IReadOnlyList<string> PreviousCountries, string NewCountry) : RuleContext;

public sealed record OffHoursWindow(int StartHour, int EndHour, IReadOnlyList<DayOfWeek> Days);

public sealed record OffHoursContext(string LocalTime, string Timezone, OffHoursWindow Window) : RuleContext;

public sealed record RepeatedActionContext(int Count, int Threshold, int WindowMinutes, string GroupBy, string GroupKey) : RuleContext;

public sealed record HighVolumeDestructiveContext(int Count, int Threshold, int WindowMinutes, IReadOnlyList<string> Actions, IReadOnlyList<Guid> SampleEventIds) : RuleContext;

public sealed record IngestionSpikeContext(int WindowCount, double Baseline, double Multiplier, int WindowMinutes, string WindowStart, string WindowEnd) : RuleContext;

public sealed record CorrelatedAlert(string Id, string RuleId, RuleType RuleType);

public sealed record CorrelationContext(IReadOnlyList<CorrelatedAlert> Alerts, int WindowMinutes) : RuleContext;

public sealed record Place(string? Country, string? City, double Latitude, double Longitude, string At, Guid EventId);

public sealed record ImpossibleTravelContext(Place From, Place To, double DistanceKm, double Hours, double SpeedKmh) : RuleContext;

/// <summary>Evaluates one rule over events in stream (sequence) order, keeping what it needs to remember.</summary>
public interface IEventRuleEvaluator
{
    AlertRule Rule { get; }

    /// <summary>Learns from the event and returns a hit when the rule fires on it.</summary>
    RuleHit? Observe(AuditEvent e);
}
