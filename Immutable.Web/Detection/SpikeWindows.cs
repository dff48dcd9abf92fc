using Immutable.Domain.Rules;
using Immutable.Web.Storage;

namespace Immutable.Web.Detection;

/// <summary>
/// ingestion_spike over stored ingestion counts, one path for the schedule (the window ending now) and the dry run
/// (every window of a period): the counts every window and its baseline hours need are read in one pass per
/// contiguous stretch, then each window is decided by the domain.
/// </summary>
public static class SpikeWindows
{
    /// <summary>The hits of the consecutive whole windows from <paramref name="from"/> (rounded down to the minute) up to <paramref name="to"/>.</summary>
    public static async Task<List<RuleHit>> HitsAsync(this IEventCounts counts, AlertRule rule, DateTime from, DateTime to, CancellationToken ct)
    {
        var c = (IngestionSpikeConditions)rule.Conditions;
        var windows = new List<DateTime>();
        for (var start = new DateTime(from.Ticks - from.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc); start.AddMinutes(c.WindowMinutes) <= to; start = start.AddMinutes(c.WindowMinutes))
            windows.Add(start);
        if (windows.Count == 0) return [];
        var periods = Merge(windows.SelectMany(w => IngestionSpike.BaselineHours(c, w).Prepend((w, w.AddMinutes(c.WindowMinutes)))));
        var perMinute = await counts.PerMinuteAsync(rule.WorkspaceId, periods, ct);
        var firstEventAt = await counts.FirstIngestedAtAsync(rule.WorkspaceId, ct);
        return windows.Select(w => IngestionSpike.EvaluateWindow(rule, w, perMinute.Count, firstEventAt)).OfType<RuleHit>().ToList();
    }

    private static List<(DateTime From, DateTime To)> Merge(IEnumerable<(DateTime From, DateTime To)> periods)
    {
        var merged = new List<(DateTime From, DateTime To)>();
        foreach (var p in periods.OrderBy(p => p.From))
        {
            if (merged.Count > 0 && p.From <= merged[^1].To)
                merged[^1] = (merged[^1].From, p.To > merged[^1].To ? p.To : merged[^1].To);
            else merged.Add(p);
        }
        return merged;
    }
}
