using Immutable.Domain.Chain;

namespace Immutable.Domain.Rules;

public enum SpikeState
{
    /// <summary>Less history than the baseline needs: no alert either way.</summary>
    Learning,
    Normal,
    Spike,
}

public sealed record SpikeDecision(SpikeState State, int WindowCount, double Baseline);

/// <summary>
/// ingestion_spike: events ingested in the last window vs. the hour-of-week baseline. The baseline for a
/// window is the average count per window of the same hour of the week over the previous weeks that
/// baseline_days covers (at least one). Until the workspace has that much history, the rule is learning.
/// </summary>
public static class IngestionSpike
{
    public static int BaselineWeeks(IngestionSpikeConditions c) => Math.Max(1, (int)Math.Round(c.BaselineDays / 7.0));

    /// <summary>The hours (same hour of the week, earlier weeks) whose counts make the baseline for a window.</summary>
    public static IReadOnlyList<(DateTime From, DateTime To)> BaselineHours(IngestionSpikeConditions c, DateTime windowStart)
    {
        var hourStart = new DateTime(windowStart.Year, windowStart.Month, windowStart.Day, windowStart.Hour, 0, 0, DateTimeKind.Utc);
        return Enumerable.Range(1, BaselineWeeks(c))
            .Select(k => (hourStart.AddDays(-7 * k), hourStart.AddDays(-7 * k).AddHours(1)))
            .ToList();
    }

    public static SpikeDecision Evaluate(IngestionSpikeConditions c, DateTime windowStart, int windowCount, IReadOnlyList<int> baselineHourCounts, DateTime? firstEventAt)
    {
        if (firstEventAt is null || firstEventAt > windowStart.AddDays(-7 * BaselineWeeks(c)))
            return new SpikeDecision(SpikeState.Learning, windowCount, 0);
        var perWindow = baselineHourCounts.Count == 0 ? 0 : baselineHourCounts.Average() * c.WindowMinutes / 60.0;
        var spike = windowCount >= c.MinEvents && windowCount > c.Multiplier * perWindow;
        return new SpikeDecision(spike ? SpikeState.Spike : SpikeState.Normal, windowCount, Math.Round(perWindow, 2));
    }

    /// <summary>Decides one window from a count of events ingested in [from, to): a hit when it is a spike.</summary>
    public static RuleHit? EvaluateWindow(AlertRule rule, DateTime windowStart, Func<DateTime, DateTime, int> count, DateTime? firstEventAt)
    {
        var c = (IngestionSpikeConditions)rule.Conditions;
        var windowEnd = windowStart.AddMinutes(c.WindowMinutes);
        var baseline = BaselineHours(c, windowStart).Select(h => count(h.From, h.To)).ToList();
        var decision = Evaluate(c, windowStart, count(windowStart, windowEnd), baseline, firstEventAt);
        return decision.State == SpikeState.Spike ? ToHit(rule, windowStart, windowEnd, decision) : null;
    }

    public static RuleHit ToHit(AlertRule rule, DateTime windowStart, DateTime windowEnd, SpikeDecision d)
    {
        var c = (IngestionSpikeConditions)rule.Conditions;
        var ratio = d.Baseline > 0 ? $"{Math.Round(d.WindowCount / d.Baseline, 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}× the baseline of {Wording.N(d.Baseline, 1)}" : "with no baseline traffic";
        return new RuleHit(rule, "workspace", "*", null, windowEnd,
            $"{d.WindowCount} events ingested in the {c.WindowMinutes} minutes to {windowEnd:HH:mm} UTC, {ratio} for this hour of the week",
            new IngestionSpikeContext(d.WindowCount, d.Baseline, c.Multiplier, c.WindowMinutes, Timestamps.ToIso(windowStart), Timestamps.ToIso(windowEnd)),
            []);
    }
}
