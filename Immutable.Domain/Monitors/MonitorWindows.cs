using Immutable.Domain.Alerts;

namespace Immutable.Domain.Monitors;

/// <summary>One matching event of one user, as a monitor counts it.</summary>
public readonly record struct UserActivity(DateTime At, double Contribution, Guid EventId);

/// <summary>
/// A user's matching events sorted by time, with prefix sums: the metric of any window is two binary searches.
/// Windows are [end − timeframe, end): an event exactly at a window's end belongs to the next window.
/// </summary>
public sealed class UserTimeline
{
    private readonly UserActivity[] _events;
    private readonly double[] _prefix;

    public UserTimeline(IEnumerable<UserActivity> events)
    {
        _events = events.OrderBy(e => e.At).ToArray();
        _prefix = new double[_events.Length + 1];
        for (var i = 0; i < _events.Length; i++) _prefix[i + 1] = _prefix[i] + _events[i].Contribution;
    }

    public int Count => _events.Length;

    public double Metric(DateTime start, DateTime end) => _prefix[LowerBound(end)] - _prefix[LowerBound(start)];

    public IReadOnlyList<Guid> EventIds(DateTime start, DateTime end)
    {
        var (from, to) = (LowerBound(start), LowerBound(end));
        var ids = new Guid[to - from];
        for (var i = from; i < to; i++) ids[i - from] = _events[i].EventId;
        return ids;
    }

    /// <summary>Index of the first event at or after <paramref name="t"/>.</summary>
    private int LowerBound(DateTime t)
    {
        int lo = 0, hi = _events.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_events[mid].At < t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}

/// <summary>An observation as episode logic needs it: when (window end) and how severe.</summary>
public readonly record struct ObservationMark(DateTime WindowEnd, Severity Severity);

public sealed record ObservationDraft(DateTime WindowStart, DateTime WindowEnd, double MetricValue, Threshold Threshold, IReadOnlyList<Guid> EventIds);

/// <summary>
/// Sliding windows in 10-minute steps aligned to event time, and breach episodes.
/// An episode is a run of consecutive breaching windows of one (monitor, user). It gets an observation at its
/// first window, and another whenever its severity rises above every observation already in it. Because a
/// metric only grows when events are added, late events (re)evaluated the same way can only start, extend, merge
/// or escalate episodes, and the rule "emit only above every stored observation of the run" keeps one
/// observation per episode and severity step.
/// </summary>
public static class MonitorWindows
{
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(ActivityMonitor.StepMinutes);

    /// <summary>The end of the first window that contains <paramref name="t"/>: the next 10-minute boundary strictly after it.</summary>
    public static DateTime FirstEndAfter(DateTime t) => new(t.Ticks - (t.Ticks % Step.Ticks) + Step.Ticks, DateTimeKind.Utc);

    /// <summary>Every window end whose window [end − timeframe, end) contains <paramref name="t"/>.</summary>
    public static IEnumerable<DateTime> EndsContaining(DateTime t, int timeframeMinutes)
    {
        var first = FirstEndAfter(t);
        for (var k = 0; k < timeframeMinutes / ActivityMonitor.StepMinutes; k++) yield return first + k * Step;
    }

    /// <summary>
    /// Evaluates the affected windows in time order and returns the observations to create; <paramref name="stored"/>
    /// holds the (monitor, user)'s existing observations and receives the new ones. The timeline must cover
    /// [earliest affected or stored end − timeframe, latest affected or stored end).
    /// </summary>
    public static List<ObservationDraft> Evaluate(ActivityMonitor monitor, UserTimeline timeline, IEnumerable<DateTime> affectedEnds, List<ObservationMark> stored)
    {
        var timeframe = TimeSpan.FromMinutes(monitor.TimeframeMinutes);
        Threshold? Breach(DateTime end) => monitor.Exceeded(timeline.Metric(end - timeframe, end));
        var drafts = new List<ObservationDraft>();
        // Windows are visited in order; when the previous one was breaching, this one continues its run, so the
        // run start is carried over instead of walked back to again (keeps long episodes linear, not quadratic).
        DateTime? previousEnd = null;
        DateTime previousRunStart = default;
        foreach (var end in affectedEnds.Distinct().Order())
        {
            var threshold = Breach(end);
            var continues = previousEnd == end - Step;
            previousEnd = end;
            if (threshold is null)
            {
                previousRunStart = default; // the run, if any, ended here
                continue;
            }

            // The run containing this window, as far as stored observations make it matter.
            var previousStored = stored.Where(o => o.WindowEnd < end).Select(o => (DateTime?)o.WindowEnd).Max();
            var latestStored = stored.Where(o => o.WindowEnd > end).Select(o => (DateTime?)o.WindowEnd).Max();
            DateTime runStart;
            if (continues && previousRunStart != default) runStart = previousRunStart;
            else
            {
                runStart = end;
                while (previousStored is { } s && runStart > s && Breach(runStart - Step) is not null) runStart -= Step;
            }
            previousRunStart = runStart;
            var runEnd = end;
            while (latestStored is { } l && runEnd < l && Breach(runEnd + Step) is not null) runEnd += Step;

            var highest = stored.Where(o => o.WindowEnd >= runStart && o.WindowEnd <= runEnd).Select(o => (Severity?)o.Severity).Max();
            if (highest is { } h && threshold.Severity <= h) continue;

            var start = end - timeframe;
            drafts.Add(new ObservationDraft(start, end, timeline.Metric(start, end), threshold, timeline.EventIds(start, end)));
            stored.Add(new ObservationMark(end, threshold.Severity));
        }
        return drafts;
    }

    /// <summary>"Greater than 1000 query events in the last 1 hour."</summary>
    public static string Message(ActivityMonitor monitor, Threshold threshold)
    {
        var noun = monitor.Metric switch
        {
            MonitorMetric.QueryCount => "query events",
            MonitorMetric.RowsAccessed => "rows accessed",
            MonitorMetric.UnauthorizedQueryCount => "unauthorized query events",
        };
        var value = threshold.Value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
        return $"Greater than {value} {noun} in the last {Timeframe(monitor.TimeframeMinutes)}.";
    }

    public static string Timeframe(int minutes)
    {
        static string Unit(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
        if (minutes % 1440 == 0) return Unit(minutes / 1440, "day");
        if (minutes % 60 == 0) return Unit(minutes / 60, "hour");
        return Unit(minutes, "minute");
    }
}
