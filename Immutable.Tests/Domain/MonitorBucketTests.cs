using Immutable.Domain.Alerts;
using Immutable.Domain.Monitors;

namespace Immutable.Tests.Domain;

/// <summary>Window evaluation over 10-minute buckets gives what it gives over the events themselves.</summary>
public class MonitorBucketTests
{
    private static readonly DateTime T0 = new(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc);

    private static List<UserActivity> RandomActivity(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => new UserActivity(
            T0.AddMinutes(random.Next(3 * 24 * 6) * 10 + (random.Next(3) == 0 ? 0 : random.NextDouble() * 10)),
            random.Next(4) == 0 ? random.Next(1, 500) : 1,
            Guid.NewGuid())).ToList();

    /// <summary>The events' buckets over whole days around them, as the evaluator assembles them from stored days.</summary>
    private static BucketTimeline Buckets(List<UserActivity> events, DateTime from, DateTime to)
    {
        var days = new Dictionary<long, double[]>();
        foreach (var e in events)
        {
            var slot = MetricDays.SlotOf(e.At);
            var day = MetricDays.DayOf(slot);
            if (!days.TryGetValue(day, out var buckets)) days[day] = buckets = new double[MetricDays.SlotsPerDay];
            buckets[slot - day * MetricDays.SlotsPerDay] += e.Contribution;
        }
        var values = new double[MetricDays.Slot(to) - MetricDays.Slot(from)];
        foreach (var (day, buckets) in days)
        {
            // Through the stored form, as the evaluator reads it back.
            var decoded = new double[MetricDays.SlotsPerDay];
            MetricDays.AddTo(MetricDays.Encode(buckets), decoded);
            for (var i = 0; i < decoded.Length; i++)
            {
                var at = day * MetricDays.SlotsPerDay + i - MetricDays.Slot(from);
                if (at >= 0 && at < values.Length) values[at] = decoded[i];
            }
        }
        return new BucketTimeline(from, values);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Buckets_GiveEveryAlignedWindow_TheEventsMetric(int seed)
    {
        var random = new Random(seed);
        var events = RandomActivity(random, 300);
        var timeline = new UserTimeline(events);
        var from = T0.AddDays(-1);
        var buckets = Buckets(events, from, T0.AddDays(4));
        for (var end = from; end <= T0.AddDays(4); end += MonitorWindows.Step)
            foreach (var minutes in new[] { 10, 60, 1440 })
                Assert.Equal(timeline.Metric(end - TimeSpan.FromMinutes(minutes), end), buckets.Metric(end - TimeSpan.FromMinutes(minutes), end));
        // Outside the range it covers, a bucket timeline is empty.
        Assert.Equal(0, buckets.Metric(from.AddDays(-2), from));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Breaches_OverBuckets_AreTheObservationsOverEvents(int seed)
    {
        var random = new Random(seed);
        var monitor = new ActivityMonitor
        {
            Id = "mon", WorkspaceId = "ws", Name = "m", TimeframeMinutes = 120,
            Thresholds = [new Threshold(40, Severity.Low), new Threshold(200, Severity.Medium), new Threshold(600, Severity.High)],
        };
        var events = RandomActivity(random, 400);
        var ends = events.SelectMany(e => MonitorWindows.EndsContaining(e.At, monitor.TimeframeMinutes)).ToList();
        var overEvents = MonitorWindows.Evaluate(monitor, new UserTimeline(events), ends, []);
        var overBuckets = MonitorWindows.Breaches(monitor, Buckets(events, T0.AddDays(-1), T0.AddDays(4)), ends, []);
        Assert.NotEmpty(overEvents);
        Assert.Equal(overEvents.Select(d => (d.WindowStart, d.WindowEnd, d.MetricValue, d.Threshold)),
            overBuckets.Select(b => (b.WindowStart, b.WindowEnd, b.MetricValue, b.Threshold)));
    }

    [Fact]
    public void StoredDay_KeepsOnlyTheNonEmptyBuckets_AndReadsBackExactly()
    {
        var day = new double[MetricDays.SlotsPerDay];
        day[0] = 1;
        day[77] = 123456789.5;
        day[143] = 3;
        var stored = MetricDays.Encode(day);
        Assert.Equal(27, stored.Length);
        var back = new double[MetricDays.SlotsPerDay];
        MetricDays.AddTo(stored, back);
        Assert.Equal(day, back);
        Assert.Empty(MetricDays.Encode(new double[MetricDays.SlotsPerDay]));
        Assert.Throws<FormatException>(() => MetricDays.AddTo(new byte[5], back));
        Assert.Throws<ArgumentException>(() => MetricDays.Slot(T0.AddMinutes(3)));
    }
}
