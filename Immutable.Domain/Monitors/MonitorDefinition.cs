using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;

namespace Immutable.Domain.Monitors;

public enum ScopeType
{
    All,
    Schema,
    DataSource,
}

public enum MonitorMetric
{
    QueryCount,
    RowsAccessed,
    UnauthorizedQueryCount,
}

public enum NotifyMode
{
    Never,
    Each,
    FirstPerUser,
}

public sealed record MonitorScope(ScopeType Type, string? Value)
{
    public static MonitorScope All { get; } = new(ScopeType.All, null);
}

/// <summary>All must hold. Tags: every listed tag among the column, table and classification tags (case-insensitive).</summary>
public sealed record MonitorConditions(IReadOnlyList<string> Tags, Sensitivity? Sensitivity, QueryOutcome? Outcome, double? MinDurationMs)
{
    public static MonitorConditions None { get; } = new([], null, null, null);
}

public sealed record Threshold(double Value, Severity Severity);

/// <summary>A per-user activity metric over a timeframe, with severity thresholds (detection.md, "Monitors").</summary>
public sealed record ActivityMonitor
{
    public const int StepMinutes = 10;
    public const int DefaultTimeframeMinutes = 60;
    public const NotifyMode DefaultNotify = NotifyMode.Each;
    public const MonitorMetric DefaultMetric = MonitorMetric.QueryCount;

    public required string Id { get; init; }
    public required string WorkspaceId { get; init; }
    public required string Name { get; init; }
    public bool Enabled { get; init; } = true;
    public MonitorScope Scope { get; init; } = MonitorScope.All;
    public MonitorConditions Conditions { get; init; } = MonitorConditions.None;
    public MonitorMetric Metric { get; init; } = DefaultMetric;
    public int TimeframeMinutes { get; init; } = DefaultTimeframeMinutes;
    /// <summary>Strictly increasing in value and in severity.</summary>
    public required IReadOnlyList<Threshold> Thresholds { get; init; }
    public NotifyMode Notify { get; init; } = DefaultNotify;
    public IReadOnlyList<Channel> Channels { get; init; } = [];

    public bool Matches(QueryContext q)
    {
        var inScope = Scope.Type switch
        {
            ScopeType.All => true,
            ScopeType.Schema => string.Equals(q.Schema, Scope.Value, StringComparison.Ordinal),
            ScopeType.DataSource => string.Equals(q.DataSource, Scope.Value, StringComparison.Ordinal),
        };
        if (!inScope) return false;
        var c = Conditions;
        for (var i = 0; i < c.Tags.Count; i++)
            if (!Has(q.ColumnTags, c.Tags[i]) && !Has(q.TableTags, c.Tags[i]) && !Has(q.ClassificationTags, c.Tags[i])) return false;
        if (c.Sensitivity is { } s)
        {
            // "sensitive" means sensitive or more; "highly_sensitive" only the highest.
            if (q.Sensitivity is not { } qs || qs < s) return false;
        }
        if (c.Outcome is { } o && q.Outcome != o) return false;
        if (c.MinDurationMs is { } min && (q.DurationMs is not { } d || d < min)) return false;
        return true;
    }

    /// <summary>Case-insensitive membership without allocating (monitors test every query event).</summary>
    private static bool Has(IReadOnlyList<string> tags, string tag)
    {
        for (var i = 0; i < tags.Count; i++)
            if (string.Equals(tags[i], tag, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>What one matching event adds to the metric.</summary>
    public double Contribution(QueryContext q) => Metric switch
    {
        MonitorMetric.QueryCount => 1,
        MonitorMetric.RowsAccessed => q.Rows ?? 0,
        MonitorMetric.UnauthorizedQueryCount => q.Outcome == QueryOutcome.Unauthorized ? 1 : 0,
    };

    /// <summary>The highest threshold the value is greater than, if any.</summary>
    public Threshold? Exceeded(double value)
    {
        // Indexed, not foreach: every window of every (monitor, user) evaluated comes here, and the interface's
        // enumerator is an allocation each time.
        Threshold? best = null;
        for (var i = 0; i < Thresholds.Count; i++)
        {
            var t = Thresholds[i];
            if (value > t.Value && (best is null || t.Severity > best.Severity)) best = t;
        }
        return best;
    }
}
