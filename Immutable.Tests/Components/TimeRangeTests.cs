using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Immutable.Tests.Components;

/// <summary>The shared time range: its URL form, bounds, ISO input, and the picker's refusal of what does not parse.</summary>
public sealed class TimeRangeTests
{
    private static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 14, 0, 0, TimeSpan.Zero);

    private static TimeRange Parse(string query, List<(string Field, string Message)> errors, TimeRange? defaults = null, TimeZoneInfo? zone = null) =>
        TimeRange.Parse(query, defaults ?? new TimeRange(), zone ?? TimeZoneInfo.Utc, errors);

    [Theory]
    [InlineData("15m", 15)]
    [InlineData("1h", 60)]
    [InlineData("24h", 24 * 60)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("30d", 30 * 24 * 60)]
    public void Parse_EachPreset_ResolvesToThatSpanBeforeNow_OpenEnded(string preset, int minutes)
    {
        var errors = new List<(string, string)>();
        var range = Parse("?range=" + preset, errors);
        Assert.Empty(errors);
        Assert.Equal((Now.UtcDateTime.AddMinutes(-minutes), (DateTime?)null), range.Resolve(Now));
        Assert.Equal(TimeField.Occurred, range.Field);
    }

    [Fact]
    public void Parse_Absolute_WithOffsetZOrViewersZone_AllBecomeUtc_AndRoundTripThroughTheUrl()
    {
        var errors = new List<(string, string)>();
        var range = Parse("?from=2026-12-01T10:00&to=2026-12-01T12:30:00%2B02:00&time=ingested", errors, zone: Bucharest);
        Assert.Empty(errors);
        Assert.Null(range.Relative);
        Assert.Equal(new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc), range.From); // 10:00 in Bucharest (UTC+2 in December)
        Assert.Equal(new DateTime(2026, 12, 1, 10, 30, 0, DateTimeKind.Utc), range.To);
        Assert.Equal(TimeField.Ingested, range.Field);
        var query = Microsoft.AspNetCore.Http.QueryString.Create(range.ToQuery(new TimeRange())).Value;
        Assert.Equal("?from=2026-12-01T08:00:00Z&to=2026-12-01T10:30:00Z&time=ingested", Uri.UnescapeDataString(query!));
        Assert.Equal(range, Parse(query!, errors, zone: TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("?range=2w", "range")]
    [InlineData("?from=12/01/2026", "from")]
    [InlineData("?from=2026-12-01T10:00&to=yesterday", "to")]
    [InlineData("?from=2026-12-02T10:00Z&to=2026-12-01T10:00Z", "to")]
    [InlineData("?time=server", "time")]
    public void Parse_Nonsense_IsReportedByField_AndTheDefaultKept(string query, string field)
    {
        var errors = new List<(string Field, string Message)>();
        var range = Parse(query, errors, TimeRange.Last("24h"));
        Assert.Contains(errors, e => e.Field == field);
        Assert.Equal("24h", range.Relative);
    }

    [Fact]
    public void TryParseIso_ATimeSkippedByTheClockChange_IsRefused_NotShifted()
    {
        // 2026-03-29 03:30 does not exist in Bucharest (clocks go from 03:00 to 04:00).
        Assert.False(TimeRange.TryParseIso("2026-03-29T03:30", Bucharest, out _, out var error));
        Assert.Contains("Europe/Bucharest", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultRange_IsLeftOutOfTheUrl_OthersAreWritten_AndOtherParametersKept()
    {
        Assert.Equal("/triage?status=all", new TimeRange().ApplyTo("/triage?status=all&range=7d", new TimeRange()));
        Assert.Equal("/triage?status=all&range=7d", TimeRange.Last("7d").ApplyTo("/triage?status=all&from=2026-01-01", new TimeRange()));
        Assert.Equal("?range=7d&time=ingested", TimeRange.CarriedQuery("?actor_id=a&range=7d&time=ingested"));
    }

    [Theory]
    [InlineData("Europe/Bucharest", "Europe/Bucharest", "2026-12-02 16:00:00")]
    [InlineData("America/New_York", "America/New_York", "2026-12-02 09:00:00")]
    [InlineData("Mars/Olympus", "UTC", "2026-12-02 14:00:00")]
    [InlineData("../../etc/passwd", "UTC", "2026-12-02 14:00:00")]
    [InlineData("", "UTC", "2026-12-02 14:00:00")]
    public void ViewerTime_TakesOnlyKnownIanaZones_AndTheUtcSwitchWins(string browserZone, string shownZone, string shown)
    {
        var viewer = new ViewerTime();
        viewer.SetBrowser(browserZone, utc: false);
        Assert.Equal(shownZone, viewer.ZoneName);
        Assert.Equal(shown, viewer.Format(Now.UtcDateTime));
        viewer.SetUtc(true);
        Assert.Equal("UTC", viewer.ZoneName);
        Assert.Equal("2026-12-02 14:00:00", viewer.Format(Now.UtcDateTime));
    }

    [Fact]
    public async Task Picker_InvalidIsoBound_ShowsAMessageBesideTheField_AndAppliesNothing()
    {
        await using var ctx = DashboardComponentContext.Create();
        ctx.Render<MudPopoverProvider>();
        TimeRange? applied = null;
        var cut = ctx.Render<TimeRangePicker>(p => p
            .Add(x => x.Value, TimeRange.Last("24h"))
            .Add(x => x.ValueChanged, EventCallback.Factory.Create<TimeRange>(this, r => applied = r))
            .Add(x => x.InitialErrors, [("from", "must be an ISO 8601 date and time")]));

        // A bad bound from the URL opens the custom fields with its message.
        cut.WaitForAssertion(() => Assert.Contains("must be an ISO 8601", cut.Find("[data-testid=range-from]").TextContent, StringComparison.Ordinal));

        cut.Find("[data-testid=range-from] input").Change("01/12/2026 10:00");
        cut.WaitForAssertion(() => Assert.Contains("must be an ISO 8601 date and time", cut.Find("[data-testid=range-from]").TextContent, StringComparison.Ordinal));
        Assert.Null(applied);

        cut.Find("[data-testid=range-from] input").Change("2026-12-01T10:00");
        cut.WaitForAssertion(() => Assert.Equal(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc), applied?.From)); // open-ended: to now
        applied = null;
        cut.Find("[data-testid=range-to] input").Change("2026-11-01T10:00");
        cut.WaitForAssertion(() => Assert.Contains("must not be before From", cut.Find("[data-testid=range-to]").TextContent, StringComparison.Ordinal));
        Assert.Null(applied);

        cut.Find("[data-testid=range-to] input").Change("2026-12-01T12:00Z");
        cut.WaitForAssertion(() => Assert.NotNull(applied));
        Assert.Equal(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc), applied!.From);
        Assert.Equal(new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc), applied.To);
        Assert.DoesNotContain("must", cut.Find("[data-testid=time-range]").TextContent, StringComparison.Ordinal);
    }
}
