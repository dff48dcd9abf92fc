using Immutable.Domain.Alerts;

namespace Immutable.Domain.Monitors;

/// <summary>One matching event of one user, as a monitor counts it.</summary>
public readonly record struct UserActivity(DateTime At, double Contribution, Guid EventId);

/// <summary>What window evaluation needs of one (monitor, user): the metric of any window [start, end).</summary>
public interface IWindowMetric
{
    double Metric(DateTime start, DateTime end);
}

/// <summary>
/// A user's matching events sorted by time, with prefix sums: the metric of any window is two binary searches.
/// Windows are [end − timeframe, end): an event exactly at a window's end belongs to the next window.
/// </summary>
public sealed class UserTimeline : IWindowMetric
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

/// <summary>A window that gets an observation, before its evidence (the events in it) is attached.</summary>
public readonly record struct WindowBreach(DateTime WindowStart, DateTime WindowEnd, double MetricValue, Threshold Threshold);

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
    public static List<ObservationDraft> Evaluate(ActivityMonitor monitor, UserTimeline timeline, IEnumerable<DateTime> affectedEnds, List<ObservationMark> stored) =>
        Breaches(monitor, timeline, affectedEnds, stored)
            .Select(b => new ObservationDraft(b.WindowStart, b.WindowEnd, b.MetricValue, b.Threshold, timeline.EventIds(b.WindowStart, b.WindowEnd)))
            .ToList();

    /// <summary>
    /// <see cref="Evaluate"/> over any metric source (events or 10-minute buckets): the windows that get an observation,
    /// in time order; <paramref name="stored"/> receives them. Outside the range the source covers the metric is 0.
    /// </summary>
    public static List<WindowBreach> Breaches(ActivityMonitor monitor, IWindowMetric timeline, IEnumerable<DateTime> affectedEnds, List<ObservationMark> stored)
    {
        var timeframe = TimeSpan.FromMinutes(monitor.TimeframeMinutes);
        Threshold? Breach(DateTime end) => monitor.Exceeded(timeline.Metric(end - timeframe, end));
        var drafts = new List<WindowBreach>();
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

            // The run containing this window, as far as stored observations make it matter: the latest observed
            // window before this one and the latest after it. (Loops, not LINQ: this runs for every breaching window.)
            DateTime? previousStored = null, latestStored = null;
            foreach (var o in stored)
            {
                if (o.WindowEnd < end && (previousStored is null || o.WindowEnd > previousStored)) previousStored = o.WindowEnd;
                else if (o.WindowEnd > end && (latestStored is null || o.WindowEnd > latestStored)) latestStored = o.WindowEnd;
            }
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

            Severity? highest = null;
            foreach (var o in stored)
                if (o.WindowEnd >= runStart && o.WindowEnd <= runEnd && (highest is null || o.Severity > highest)) highest = o.Severity;
            if (highest is { } h && threshold.Severity <= h) continue;

            var start = end - timeframe;
            drafts.Add(new WindowBreach(start, end, timeline.Metric(start, end), threshold));
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

/// <summary>
/// One (monitor, user)'s metric per 10-minute bucket over [<see cref="From"/>, <see cref="To"/>), with prefix sums:
/// what persisted bucket state gives window evaluation instead of the events themselves. Buckets are aligned like
/// windows ([k × 10 min, (k+1) × 10 min)), so a window's metric is the sum of the buckets it covers, exactly.
/// </summary>
public sealed class BucketTimeline : IWindowMetric
{
    private readonly long _firstSlot;
    private readonly double[] _prefix;

    /// <param name="values">The metric of each bucket from <paramref name="from"/> on, one per 10 minutes.</param>
    public BucketTimeline(DateTime from, ReadOnlySpan<double> values)
    {
        _firstSlot = MetricDays.Slot(from);
        _prefix = new double[values.Length + 1];
        for (var i = 0; i < values.Length; i++) _prefix[i + 1] = _prefix[i] + values[i];
    }

    public DateTime From => MetricDays.SlotStart(_firstSlot);
    public DateTime To => MetricDays.SlotStart(_firstSlot + _prefix.Length - 1);

    public double Metric(DateTime start, DateTime end) => _prefix[Index(end)] - _prefix[Index(start)];

    private int Index(DateTime t) => (int)Math.Clamp(MetricDays.Slot(t) - _firstSlot, 0, _prefix.Length - 1);
}

/// <summary>
/// A (monitor, user)'s metric for one UTC day, 144 buckets of 10 minutes, and its compact stored form: the non-zero
/// buckets only, each as (bucket index byte, IEEE double little-endian).
/// </summary>
public static class MetricDays
{
    public const int SlotsPerDay = 24 * 60 / ActivityMonitor.StepMinutes;
    private static readonly long SlotTicks = TimeSpan.FromMinutes(ActivityMonitor.StepMinutes).Ticks;

    /// <summary>The bucket index of an aligned time; windows and ranges are always aligned to 10 minutes.</summary>
    public static long Slot(DateTime t) => t.Ticks % SlotTicks == 0
        ? t.Ticks / SlotTicks
        : throw new ArgumentException($"{t:O} is not on a 10-minute boundary.", nameof(t));

    /// <summary>The bucket an event at <paramref name="t"/> counts in.</summary>
    public static long SlotOf(DateTime t) => t.Ticks / SlotTicks;

    public static DateTime SlotStart(long slot) => new(slot * SlotTicks, DateTimeKind.Utc);

    public static long DayOf(long slot) => slot / SlotsPerDay;

    public static byte[] Encode(ReadOnlySpan<double> day)
    {
        if (day.Length != SlotsPerDay) throw new ArgumentException($"A day has {SlotsPerDay} buckets.", nameof(day));
        var count = 0;
        foreach (var v in day) if (v != 0) count++;
        var bytes = new byte[count * 9];
        var at = 0;
        for (var i = 0; i < day.Length; i++)
        {
            if (day[i] == 0) continue;
            bytes[at] = (byte)i;
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 1, 8), day[i]);
            at += 9;
        }
        return bytes;
    }

    /// <summary>Adds a stored day's buckets into <paramref name="day"/> (144 values).</summary>
    public static void AddTo(ReadOnlySpan<byte> stored, Span<double> day)
    {
        if (stored.Length % 9 != 0) throw new FormatException("A stored metric day is a sequence of 9-byte (bucket, value) pairs.");
        for (var at = 0; at < stored.Length; at += 9)
            day[stored[at]] += System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(stored.Slice(at + 1, 8));
    }
}
