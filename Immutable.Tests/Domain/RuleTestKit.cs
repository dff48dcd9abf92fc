using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Domain.Rules;
using Microsoft.Extensions.Time.Testing;

namespace Immutable.Tests.Domain;

/// <summary>Builds events stamped by a fake clock, so rule tests read like timelines.</summary>
public sealed class RuleTestKit(DateTimeOffset start)
{
    private long _sequence;

    public FakeTimeProvider Clock { get; } = new(start);

    public static GeoLocation NewYork { get; } = new("US", "New York", 40.7128, -74.0060, 20, "America/New_York");
    public static GeoLocation Sydney { get; } = new("AU", "Sydney", -33.8688, 151.2093, 20, "Australia/Sydney");
    public static GeoLocation Bucharest { get; } = new("RO", "Bucharest", 44.4268, 26.1025, 20, "Europe/Bucharest");
    public static GeoLocation Boston { get; } = new("US", "Boston", 42.3601, -71.0589, 20, "America/New_York");

    public AuditEvent Event(string action = "auth.login", string actor = "jordan", GeoLocation? geo = null, string? metadata = null,
        DateTime? occurredAt = null, string? ip = null)
    {
        var at = occurredAt ?? Clock.GetUtcNow().UtcDateTime;
        return new AuditEvent
        {
            Content = new EventContent { Id = Guid.NewGuid(), ActorId = actor, Action = action, Geo = geo ?? GeoLocation.Unknown, MetadataJson = metadata, IpAddress = ip },
            WorkspaceId = "ws_test",
            Sequence = ++_sequence,
            OccurredAt = Timestamps.ToMicroseconds(at),
            CreatedAt = Timestamps.ToMicroseconds(Clock.GetUtcNow()),
            EventHash = "h",
        };
    }

    public static AlertRule Rule(RuleConditions conditions, string id = "rul_test") => new()
    {
        Id = id,
        WorkspaceId = "ws_test",
        Name = "test " + WireName.Of(conditions.Type),
        Conditions = conditions,
        Severity = AlertRule.DefaultSeverity(conditions.Type),
    };
}
