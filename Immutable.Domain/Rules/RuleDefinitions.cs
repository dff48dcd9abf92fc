using Immutable.Domain.Alerts;

namespace Immutable.Domain.Rules;

public enum RuleType
{
    NewCountry,
    OffHours,
    RepeatedAction,
    HighVolumeDestructive,
    IngestionSpike,
    Correlation,
    ImpossibleTravel,
}

public enum Channel
{
    Email,
    Webhook,
}

/// <summary>Conditions typed per rule type (detection.md, "Alert rules"). Defaults are the spec's.</summary>
public abstract record RuleConditions
{
    public abstract RuleType Type { get; }
}

public sealed record NewCountryConditions : RuleConditions
{
    public override RuleType Type => RuleType.NewCountry;
    public IReadOnlyList<string> ActionPatterns { get; init; } = ["auth.login"];
}

public sealed record OffHoursConditions : RuleConditions
{
    public override RuleType Type => RuleType.OffHours;
    public IReadOnlyList<string> ActionPatterns { get; init; } = ["auth.login"];
    public string TimeZone { get; init; } = "UTC";
    public int StartHour { get; init; } = 22;
    public int EndHour { get; init; } = 6;
    /// <summary>Weekdays that are off-hours all day (e.g. Saturday, Sunday).</summary>
    public IReadOnlyList<DayOfWeek> Days { get; init; } = [];
}

public sealed record RepeatedActionConditions : RuleConditions
{
    public override RuleType Type => RuleType.RepeatedAction;
    public IReadOnlyList<string> ActionPatterns { get; init; } = ["auth.login_failed"];
    public int Threshold { get; init; } = 5;
    public int WindowMinutes { get; init; } = 10;
    /// <summary><c>actor_id</c>, <c>ip_address</c>, or <c>metadata.&lt;key&gt;</c>.</summary>
    public string GroupBy { get; init; } = "actor_id";
}

public sealed record HighVolumeDestructiveConditions : RuleConditions
{
    public override RuleType Type => RuleType.HighVolumeDestructive;
    public IReadOnlyList<string> ActionPatterns { get; init; } = ["*.deleted", "*.removed"];
    public int Threshold { get; init; } = 20;
    public int WindowMinutes { get; init; } = 5;
    public bool PerActor { get; init; } = true;
}

public sealed record IngestionSpikeConditions : RuleConditions
{
    public override RuleType Type => RuleType.IngestionSpike;
    public int WindowMinutes { get; init; } = 5;
    public double Multiplier { get; init; } = 3.0;
    public int BaselineDays { get; init; } = 7;
    public int MinEvents { get; init; } = 100;
}

public sealed record CorrelationConditions : RuleConditions
{
    public override RuleType Type => RuleType.Correlation;
    public IReadOnlyList<string> RuleIds { get; init; } = [];
    public int WindowMinutes { get; init; } = 60;
}

public sealed record ImpossibleTravelConditions : RuleConditions
{
    public override RuleType Type => RuleType.ImpossibleTravel;
    public IReadOnlyList<string> ActionPatterns { get; init; } = ["auth.login"];
    public double MaxSpeedKmh { get; init; } = 900;
    public double MinDistanceKm { get; init; } = 500;
}

/// <summary>An alert rule as configured by an admin.</summary>
public sealed record AlertRule
{
    public const int DefaultCooldownMinutes = 60;

    public required string Id { get; init; }
    public required string WorkspaceId { get; init; }
    public required string Name { get; init; }
    public required RuleConditions Conditions { get; init; }
    public bool Enabled { get; init; } = true;
    public Severity Severity { get; init; } = Severity.Medium;
    public IReadOnlyList<Channel> Channels { get; init; } = [];
    public int CooldownMinutes { get; init; } = DefaultCooldownMinutes;
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public RuleType Type => Conditions.Type;

    public static Severity DefaultSeverity(RuleType type) => type switch
    {
        RuleType.NewCountry => Severity.Medium,
        RuleType.OffHours => Severity.Low,
        RuleType.RepeatedAction => Severity.High,
        RuleType.HighVolumeDestructive => Severity.High,
        RuleType.IngestionSpike => Severity.Medium,
        RuleType.Correlation => Severity.Critical,
        RuleType.ImpossibleTravel => Severity.High,
    };
}
