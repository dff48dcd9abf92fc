using System.Globalization;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Events;
using Immutable.Web.Components.Pages.Exports;
using Immutable.Web.Components.Pages.Settings;
using Immutable.Web.Exports;
using Immutable.Web.Retention;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace Immutable.Tests.Components;

/// <summary>
/// The Exports page, the Events page's Export button and the Retention panel, rendered by bUnit over a real host: the
/// page's export is the service's export (same filters, same worker), and the retention boundary is shown.
/// </summary>
public sealed class ExportsComponentTests : DashboardComponentTest
{
    protected override bool HostClock => true; // relative time ranges end at the host's now

    private IRenderedComponent<T> RenderAt<T>(string url) where T : IComponent
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return Ctx.Render<T>();
    }

    [Fact]
    public async Task Events_page_export_button_carries_the_filters_typed_in_the_form()
    {
        await Client.IngestAsync(new { actor_id = "user_7", action = "auth.login" });
        var events = RenderAt<EventsExplorer>("/events?actor_id=user_7&action=auth.*");
        events.WaitForAssertion(() => Assert.NotEmpty(events.FindAll("[data-testid=events-table]")));
        var href = events.Find("[data-testid=events-export]").GetAttribute("href")!;
        Assert.StartsWith("/exports?", href, StringComparison.Ordinal);
        Assert.Contains("actor_id=user_7", href, StringComparison.Ordinal);
        Assert.Contains("action=auth.%2A", href.Replace("*", "%2A", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exports_page_prefills_the_url_filters_creates_the_export_and_shows_it_completed()
    {
        await Client.IngestAsync(new { actor_id = "user_7", action = "auth.login" });
        await Client.IngestAsync(new { actor_id = "user_8", action = "auth.login" });
        var page = RenderAt<ExportsPage>("/exports?actor_id=user_7&format=ndjson");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-exports]")));
        Assert.Equal("user_7", page.Find("[data-testid=export-actor] input, input[data-testid=export-actor]").GetAttribute("value"));

        page.Find("[data-testid=create-export]").Click();
        // The row appears, then (the page polls) completed with a download link.
        page.WaitForAssertion(() => Assert.Contains("completed", page.Find("[data-testid=exports-table] [data-testid=export-status]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var list = await App.Services.GetRequiredService<ExportService>().ListAsync(Owner.Caller);
        var export = Assert.Single(list);
        Assert.Equal("""{"actor_id":"user_7"}""", export.Filters.Text);
        Assert.Equal(ExportFormat.Ndjson, export.Format);
        Assert.Equal(1, export.TotalRows);
        page.WaitForAssertion(() => Assert.StartsWith($"/api/v1/exports/{export.Id}/download?token=", page.Find("[data-testid=export-download]").GetAttribute("href"), StringComparison.Ordinal));
        Assert.Contains("actor_id=user_7", page.Find("[data-testid=exports-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_from_the_events_page_holds_exactly_the_events_it_lists_in_its_event_time_range()
    {
        // Sent now, happened two days ago: the Events page's last 24 hours (by event time, its default) leave it out,
        // though it was ingested within them.
        var now = App.Time.GetUtcNow();
        await Client.IngestAsync(new { actor_id = "user_7", action = "auth.login", occurred_at = now.AddDays(-2).ToString("O", CultureInfo.InvariantCulture) });
        await Client.IngestAsync(new { actor_id = "user_7", action = "auth.login" });
        await Client.IngestAsync(new { actor_id = "user_7", action = "document.viewed" });
        var events = RenderAt<EventsExplorer>("/events?range=24h&actor_id=user_7");
        events.WaitForAssertion(() => Assert.Equal(2, events.FindAll("[data-testid=events-table] tbody tr").Count));
        var href = events.Find("[data-testid=events-export]").GetAttribute("href")!;
        Assert.Contains("time=occurred", href, StringComparison.Ordinal);

        var page = RenderAt<ExportsPage>(href);
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-exports]")));
        Assert.True(page.FindComponents<MudSelect<bool>>().Single().Instance.GetState(x => x.Value)); // "Range by: Event time"
        page.Find("[data-testid=create-export]").Click();
        page.WaitForAssertion(() => Assert.Contains("completed", page.Find("[data-testid=exports-table] [data-testid=export-status]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var export = Assert.Single(await App.Services.GetRequiredService<ExportService>().ListAsync(Owner.Caller));
        Assert.Equal(2, export.TotalRows);
        Assert.Equal("occurred", System.Text.Json.Nodes.JsonNode.Parse(export.Filters.Text)!["time"]!.GetValue<string>());
    }

    [Fact]
    public async Task Exports_page_warns_when_the_range_reaches_past_the_retention_boundary()
    {
        var page = RenderAt<ExportsPage>("/exports");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-exports]")));
        Assert.Empty(page.FindAll("[data-testid=retention-warning]"));

        Assert.True((await App.Services.GetRequiredService<RetentionService>().SetAsync(Owner.Caller, 30)).Succeeded);
        page = RenderAt<ExportsPage>("/exports");
        page.WaitForAssertion(() => Assert.Contains("crosses the retention boundary", page.Find("[data-testid=retention-warning]").TextContent, StringComparison.Ordinal));
        Assert.Contains("2026-02-25", page.Find("[data-testid=retention-warning]").TextContent, StringComparison.Ordinal);

        // A range that starts after the boundary needs no warning.
        page = RenderAt<ExportsPage>("/exports?from=2026-03-20T00:00:00Z");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-exports]")));
        Assert.Empty(page.FindAll("[data-testid=retention-warning]"));
    }

    [Fact]
    public async Task Retention_panel_saves_the_window_like_the_api_and_lists_the_archives()
    {
        for (var i = 0; i < 3; i++) await Client.IngestAsync(new { actor_id = "user_1", action = "auth.login" });
        var panel = Ctx.Render<RetentionPanel>(p => p.Add(x => x.User, Owner));
        panel.WaitForAssertion(() => Assert.NotNull(panel.Find("[data-testid=no-archives]")));
        panel.Find("[data-testid=retention-days] input, input[data-testid=retention-days]").Change("0");
        panel.Find("[data-testid=save-retention]").Click();
        // The message is on the field itself (no silent failure, nothing in a separate box).
        panel.WaitForAssertion(() => Assert.Contains("from 1 to 36500", panel.FindComponent<MudNumericField<int?>>().Markup, StringComparison.Ordinal));

        panel.Find("[data-testid=retention-days] input, input[data-testid=retention-days]").Change("1");
        panel.Find("[data-testid=save-retention]").Click();
        panel.WaitForAssertion(() => Assert.Contains("1 days", panel.Find("[data-testid=retention-state]").TextContent, StringComparison.Ordinal));
        Assert.Equal(1, (await Client.GetJsonAsync("/api/v1/retention"))["data"]!["retention_days"]!.GetValue<int>());
        var audit = (await Client.GetJsonAsync("/api/v1/events?action=retention.updated"))["data"]!.AsArray();
        Assert.Equal("user:ana@example.com", Assert.Single(audit)!["actor"]!["id"]!.GetValue<string>());

        App.Time.Advance(TimeSpan.FromDays(2));
        await App.Services.GetRequiredService<RetentionArchiver>().RunAsync(WorkspaceId, default);
        panel = Ctx.Render<RetentionPanel>(p => p.Add(x => x.User, Owner));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=archives-table] tbody tr")));
        Assert.Contains("2026-03-27", panel.Find("[data-testid=archives-table]").TextContent, StringComparison.Ordinal);
        Assert.Contains("sequence 4", panel.Find("[data-testid=retention-cut]").TextContent, StringComparison.Ordinal);

        // An analyst sees it all and changes nothing: the service refuses, whatever the page shows.
        var analyst = Owner with { Role = Roles.Analyst };
        Assert.Equal(403, (await App.Services.GetRequiredService<RetentionService>().SetAsync(analyst.Caller, 5)).Problem!.Status);
    }
}
