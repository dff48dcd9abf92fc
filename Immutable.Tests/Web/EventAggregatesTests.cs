using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Actors;
using Immutable.Web.Components.Pages.Events;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>What the dashboard's world map and events-over-time chart draw, counted in SQL on both stores.</summary>
[Trait("Postgres", "run")]
public sealed class EventAggregatesTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc);
    private const string London = "81.2.69.142", Google = "8.8.8.8";
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    /// <summary>
    /// GB: 3 reads + 1 login (alerted) now, 1 read back-dated three days; US: 2 reads by bob at 12:30 and 13:50;
    /// one event from a private address (no country).
    /// </summary>
    private async Task<string> SeedAsync()
    {
        var key = await _app.CreateKeyAsync("acme");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var rule = await client.CreateRuleAsync("""{"name":"Every login","rule_type":"off_hours","conditions":{"action_pattern":"auth.login","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""");
        for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = "alice", action = "doc.read", ip_address = London });
        await client.IngestAsync(new { actor_id = "alice", action = "auth.login", ip_address = London });
        await client.IngestAsync(new { actor_id = "alice", action = "doc.read", ip_address = London, occurred_at = Iso(Now.AddDays(-3)) });
        await client.IngestAsync(new { actor_id = "bob", action = "doc.read", ip_address = Google, occurred_at = Iso(Now.AddMinutes(-90)) });
        await client.IngestAsync(new { actor_id = "bob", action = "doc.read", ip_address = Google, occurred_at = Iso(Now.AddMinutes(-10)) });
        await client.IngestAsync(new { actor_id = "carol", action = "doc.read", ip_address = "10.0.0.1" });
        await client.WaitForAlertsAsync($"rule_id={rule}", 1);
        return key.WorkspaceId;
    }

    [Fact]
    public async Task Countries_CountsEventsPerCountry_AndAlertsByTheirEventsOrigin_OnTheChosenClock()
    {
        var ws = await SeedAsync();
        var aggregates = _app.Services.GetRequiredService<EventAggregates>();

        var byEventTime = await aggregates.CountriesAsync(ws, null, Now.AddHours(-24), Now.AddMinutes(1), TimeBasis.Occurred);
        Assert.Equal([new CountryCount("GB", 4, 1), new CountryCount("US", 2, 0)], byEventTime);
        // Ingested now, the back-dated event counts on the ingestion clock.
        var byIngestion = await aggregates.CountriesAsync(ws, null, Now.AddHours(-24), Now.AddMinutes(1), TimeBasis.Ingested);
        Assert.Equal([new CountryCount("GB", 5, 1), new CountryCount("US", 2, 0)], byIngestion);
        Assert.Equal([new CountryCount("US", 2, 0)], await aggregates.CountriesAsync(ws, "bob", Now.AddHours(-24), Now.AddMinutes(1), TimeBasis.Occurred));
        Assert.Empty(await aggregates.CountriesAsync(ws, null, Now.AddDays(-10), Now.AddDays(-5), TimeBasis.Occurred));
        Assert.Empty(await aggregates.CountriesAsync("ws_other", null, Now.AddHours(-24), Now.AddMinutes(1), TimeBasis.Occurred));
    }

    [Fact]
    public async Task OverTime_CountsEventsAndAlertsPerBucket_OnTheChosenClock()
    {
        var ws = await SeedAsync();
        var aggregates = _app.Services.GetRequiredService<EventAggregates>();
        var from = Now.AddHours(-3); // buckets 11:00, 12:00, 13:00, 14:00

        var byEventTime = await aggregates.OverTimeAsync(ws, null, from, Now.AddHours(1), TimeSpan.FromHours(1), TimeBasis.Occurred);
        // 14:00 holds alice's four, carol's one and the chain's own record of the rule's creation.
        Assert.Equal([0, 1, 1, 6], byEventTime.Events);
        Assert.Equal([0, 0, 0, 1], byEventTime.Alerts);
        Assert.Equal(Now, byEventTime.Start(3));

        var byIngestion = await aggregates.OverTimeAsync(ws, null, from, Now.AddHours(1), TimeSpan.FromHours(1), TimeBasis.Ingested);
        Assert.Equal([0, 0, 0, 9], byIngestion.Events);
        Assert.Equal([0, 0, 0, 1], byIngestion.Alerts);

        var bob = await aggregates.OverTimeAsync(ws, "bob", from, Now.AddHours(1), TimeSpan.FromHours(1), TimeBasis.Occurred);
        Assert.Equal([0, 1, 1, 0], bob.Events);
        Assert.Equal([0, 0, 0, 0], bob.Alerts);
    }

    [Fact]
    public async Task ActorPage_DrawsTheirChartAndMap_EachCountryLinkedToTheirEventsFromIt()
    {
        var ws = await SeedAsync();
        await using var ctx = DashboardComponentContext.Create(_app.Services, ws);
        ctx.Services.AddSingleton<TimeProvider>(_app.Time); // the host's fake clock: the page's last 90 days end at its now
        var page = ctx.Render<ActorTimelinePage>(p => p.Add(x => x.ActorId, "bob"));
        page.WaitForAssertion(() => page.Find("[data-testid=activity-map] a[data-country=US]"));
        var us = page.Find("[data-testid=activity-map] a[data-country=US]");
        Assert.Equal("/events?actor_id=bob&country=US", us.GetAttribute("href"));
        Assert.Equal("United States: 2 events", us.GetAttribute("aria-label"));
        Assert.Empty(page.FindAll("[data-testid=activity-map] a[data-country=GB]"));
        Assert.Contains(": 2 events,", page.Find("[data-testid=activity-chart] svg").GetAttribute("aria-label"), StringComparison.Ordinal);
        Assert.Contains("United States · 2", page.Find("[data-testid=actor-countries]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsPage_CountryFromAMapLink_ListsOnlyThatCountry()
    {
        var ws = await SeedAsync();
        await using var ctx = DashboardComponentContext.Create(_app.Services, ws);
        var nav = ctx.Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo("/events?country=US&search=doc");
        var page = ctx.Render<EventsExplorer>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=events-table] tbody tr").Count));
        Assert.Equal("From United States", page.Find("[data-testid=events-country]").TextContent.Trim());
        Assert.All(page.FindAll("[data-testid=events-table] tbody tr"), r => Assert.Contains("US", r.TextContent, StringComparison.Ordinal));

        // Clearing the country applies at once, and the URL keeps the filters still applied (a reload shows the same).
        // It is a button in the tab order (a closable chip's x is not, in MudBlazor), so the keyboard clears it too.
        var clear = page.Find("button[data-testid=events-country]");
        Assert.Equal("From United States: remove this filter", clear.GetAttribute("aria-label"));
        Assert.Null(clear.GetAttribute("tabindex"));
        await clear.ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal("http://localhost/events?search=doc", nav.Uri));
    }
}
