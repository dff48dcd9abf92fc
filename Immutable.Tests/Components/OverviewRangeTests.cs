using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Overview;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Components;

/// <summary>Overview's map and chart follow the page's time range and clock, as its lists do.</summary>
public sealed class OverviewRangeTests : IAsyncLifetime
{
    private readonly ImmutableAppFactory _app = new();
    private BunitContext _ctx = default!;

    public async Task InitializeAsync()
    {
        var key = await _app.CreateKeyAsync("acme");
        var client = await _app.CreateWorkspaceClientAsync("acme");
        // Stored now, but it happened three days ago (a back-dated event) in the United Kingdom.
        await client.IngestAsync(new { actor_id = "alice", action = "doc.read", ip_address = "81.2.69.160", occurred_at = _app.Time.GetUtcNow().AddDays(-3).ToString("O") });
        _app.Time.Advance(TimeSpan.FromMinutes(1));
        _ctx = DashboardComponentContext.Create(_app.Services, key.WorkspaceId);
        _ctx.Services.AddSingleton<TimeProvider>(_app.Time); // the host's fake clock: "the last 24 h" ends at its now
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        _app.Dispose();
    }

    [Theory]
    [InlineData("/", false)] // the last 24 h by event time: it happened before
    [InlineData("/?range=7d", true)]
    [InlineData("/?time=ingested", true)] // the last 24 h by ingestion time: it arrived within
    public void Map_CountsTheEventsOfThePagesRange_OnItsClock(string url, bool counted)
    {
        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        var page = _ctx.Render<Overview>();
        page.WaitForAssertion(() => page.Find("[data-testid=activity-map] [data-testid=world-map]"));
        Assert.True(counted == (page.FindAll("[data-testid=activity-map] a[data-country=GB]").Count == 1), page.Find("[data-testid=activity-map]").TextContent);
    }
}
