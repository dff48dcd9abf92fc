using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Monitors;
using Immutable.Web.Components.Shared.Charts;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;

namespace Immutable.Tests.Components;

/// <summary>The world map, the events-over-time chart and the monitor chart, rendered as the dashboard renders them.</summary>
public sealed class ActivityPicturesTests : IAsyncDisposable
{
    private readonly BunitContext _ctx = DashboardComponentContext.Create();

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    private static readonly Func<string, string> ToEvents = c => "/events?country=" + c;

    [Fact]
    public void WorldMap_ShadesCountriesByCount_NamesThem_AndLinksEachToItsEvents()
    {
        var map = _ctx.Render<WorldMap>(p => p
            .Add(x => x.Counts, [new CountryCount("GB", 1000, 2), new CountryCount("SG", 40, 0), new CountryCount("RO", 1, 0)])
            .Add(x => x.Href, ToEvents));

        var gb = map.Find("a[data-country=GB]");
        Assert.Equal("/events?country=GB", gb.GetAttribute("href"));
        Assert.Equal("United Kingdom: 1,000 events, 2 alerts", gb.GetAttribute("aria-label"));
        Assert.Equal("map-l4 map-alerts", gb.QuerySelector("path")!.GetAttribute("class"));
        var ro = map.Find("a[data-country=RO]");
        Assert.Equal("Romania: 1 event", ro.GetAttribute("aria-label"));
        Assert.Equal("map-l1", ro.QuerySelector("path")!.GetAttribute("class"));
        Assert.Equal("Romania: 1 event", ro.QuerySelector("title")!.TextContent);
        // Too small for the map's scale: no shape, still listed by name with its link.
        Assert.Empty(map.FindAll("a[data-country=SG]"));
        var rows = map.FindAll("[data-testid=country-list] tbody tr");
        Assert.Equal(["United Kingdom", "Singapore", "Romania"], rows.Select(r => r.QuerySelector("td")!.TextContent));
        Assert.Equal("/events?country=SG", rows[1].QuerySelector("a")!.GetAttribute("href"));
        // Every other country is drawn unshaded and is no link.
        Assert.True(map.FindAll("path.map-l0").Count > 150);
        Assert.Equal(2, map.FindAll("[data-testid=map-country]").Count);
    }

    [Fact]
    public void WorldMap_NoActivity_SaysSo_AndDrawsTheWorldUnshaded()
    {
        var map = _ctx.Render<WorldMap>(p => p.Add(x => x.Counts, []).Add(x => x.Href, ToEvents).Add(x => x.Empty, "Nothing from anywhere."));
        Assert.Equal("Nothing from anywhere.", map.Find("[data-testid=world-map-empty]").TextContent);
        Assert.Empty(map.FindAll("[data-testid=map-country]"));
        Assert.Empty(map.FindAll("[data-testid=country-list]"));
        Assert.True(map.FindAll("path.map-l0").Count > 150);
    }

    [Theory]
    [InlineData(1, 1000, 1)]
    [InlineData(1000, 1000, 4)]
    [InlineData(0, 1000, 0)]
    [InlineData(30, 1000, 2)]
    public void WorldMap_Level_IsLogarithmic(int events, int max, int expected) => Assert.Equal(expected, WorldMap.Level(events, max));

    [Theory]
    [InlineData("RO", "Romania")]
    [InlineData("us", "United States")]
    [InlineData("DE", "Germany")]
    [InlineData("ZZZ", "ZZZ")]
    [InlineData("Q1", "Q1")]
    public void CountryNames_NameTheIsoCode_OrKeepWhatTheyDoNotKnow(string code, string expected) => Assert.Equal(expected, CountryNames.Name(code));

    [Fact]
    public void EventsChart_DrawsABarPerBusyBucket_MarksAlerts_AndDescribesItself()
    {
        var from = new DateTime(2026, 3, 27, 11, 0, 0, DateTimeKind.Utc);
        var chart = _ctx.Render<EventsChart>(p => p
            .Add(x => x.Buckets, new TimeBuckets(from, TimeSpan.FromHours(1), [0, 3, 0, 1], [0, 0, 0, 2]))
            .Add(x => x.AlertsHref, "/triage?status=all"));

        Assert.Equal(2, chart.FindAll("[data-testid=chart-bar]").Count);
        var alert = chart.Find("[data-testid=chart-alert]");
        Assert.Equal("2026-03-27 14:00–15:00: 2 alerts", alert.QuerySelector("title")!.TextContent);
        var svg = chart.Find("svg");
        Assert.Equal("img", svg.GetAttribute("role"));
        Assert.Equal("Events over time, 2026-03-27 11:00 to 2026-03-27 15:00 UTC: 4 events, peak 3 per 1 h, 2 alerts.", svg.GetAttribute("aria-label"));
        Assert.Equal("/triage?status=all", chart.Find("figcaption a").GetAttribute("href"));
        // The table fallback lists the busy buckets only.
        Assert.Equal(["2026-03-27 12:00", "2026-03-27 14:00"], chart.FindAll(".chart-table tbody tr").Select(r => r.QuerySelector("td")!.TextContent));
    }

    [Fact]
    public void EventsChart_NoEvents_DrawsNoBars()
    {
        var chart = _ctx.Render<EventsChart>(p => p.Add(x => x.Buckets, new TimeBuckets(DateTime.UnixEpoch, TimeSpan.FromHours(1), [0, 0], [0, 0])));
        Assert.Empty(chart.FindAll("[data-testid=chart-bar]"));
        Assert.Empty(chart.FindAll("[data-testid=chart-alert]"));
        Assert.Contains("0 events", chart.Find("svg").GetAttribute("aria-label"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)] // an hour: 60 one-minute bars
    [InlineData(24, 30)]
    [InlineData(24 * 7, 180)]
    [InlineData(24 * 90, 60 * 24 * 7)]
    public void ChartBuckets_PickARoundWidth_WithAtMostSixtyBars(int hours, int expectedMinutes)
    {
        var to = new DateTime(2026, 3, 27, 14, 7, 0, DateTimeKind.Utc);
        var (from, size) = ChartBuckets.For(to.AddHours(-hours), to);
        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), size);
        Assert.Equal(0, from.Ticks % size.Ticks);
        Assert.True(from <= to.AddHours(-hours));
        Assert.True((to - from) / size <= ChartBuckets.MaxBars + 1);
    }

    [Fact]
    public void MonitorActivity_DrawsThresholds_TheMetricLine_AndTheCurrentValue()
    {
        var start = new DateTime(2026, 3, 27, 13, 0, 0, DateTimeKind.Utc);
        var series = Enumerable.Range(1, 6).Select(i => new MonitorSeriesPoint(DetectionKit.Iso(start.AddMinutes(10 * i)), i == 6 ? 12 : i, "dana")).ToList();
        var result = new MonitorDryRunResult("2026-03-27T13:00:00.000000Z", "2026-03-27T14:00:00.000000Z", 40, 2, 1, false,
            [new MonitorDryRunObservation("dana", "high", 12, 10, "2026-03-27T13:00:00.000000Z", "2026-03-27T14:00:00.000000Z", "Greater than 10 query events in the last 1 hour.", 12)],
            series, series[^1]);
        var view = _ctx.Render<MonitorActivity>(p => p
            .Add(x => x.Result, result)
            .Add(x => x.Thresholds, [(5.0, "medium"), (10.0, "high")])
            .Add(x => x.MetricLabel, "query count").Add(x => x.Timeframe, "1 hour"));

        var lines = view.FindAll("[data-testid=threshold-line]");
        Assert.Equal(["Medium: greater than 5", "High: greater than 10"], lines.Select(l => l.QuerySelector("title")!.TextContent));
        Assert.Contains("stroke:var(--mud-palette-warning)", lines[1].GetAttribute("style"), StringComparison.Ordinal);
        Assert.Equal(6, view.Find("[data-testid=metric-line]").GetAttribute("points")!.Split(' ').Length);
        Assert.Equal("Now: 12", view.Find("[data-testid=current-point] title").TextContent);
        var current = view.Find("[data-testid=monitor-current]").TextContent;
        Assert.Contains("Now: 12", current, StringComparison.Ordinal);
        Assert.Contains("above the", current, StringComparison.Ordinal);
        Assert.Single(view.FindAll("[data-testid=monitor-current] [data-severity=high]"));
        Assert.Single(view.FindAll("[data-testid=dry-run-observation]"));
        // The higher threshold's line is drawn above the lower one's (SVG y grows downwards).
        Assert.True(double.Parse(lines[1].GetAttribute("y1")!, System.Globalization.CultureInfo.InvariantCulture)
            < double.Parse(lines[0].GetAttribute("y1")!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
