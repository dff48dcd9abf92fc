using System.Net;
using Immutable.Tests.TestSupport;
using Microsoft.Playwright;
using static Immutable.Tests.Browser.DashboardJourneyTests;

namespace Immutable.Tests.Browser;

/// <summary>
/// An auditor's export in Debian's Chromium against the real app process: filter the Events page, press Export, land on
/// the Exports page with the same filters, create the file, watch it complete, download it, and set retention in Settings.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ExportJourneyTests(BrowserFixture browser) : AppProcessTest("immutable-browser-export-")
{
    [Fact]
    public async Task Auditor_exports_an_actors_events_from_the_events_page_and_downloads_the_csv()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);
        await SetUpOwnerAsync(App, page);
        var key = await CreateKeyInSettingsAsync(page);
        using (var api = ApiClientFor(key))
        {
            foreach (var (actor, name, action) in new[] { ("user_42", "Grace", "auth.login"), ("user_42", "Grace", "document.viewed"), ("user_7", "Bob", "auth.login"), ("user_42", "=2+5", "document.updated") })
                Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync("/api/v1/events", Json($$"""{"actor_id":"{{actor}}","actor_name":"{{name}}","action":"{{action}}"}"""))).StatusCode);
        }

        // The Events page, filtered to one actor; Export carries the filter to the Exports page.
        await page.GotoAsync("/events?actor_id=user_42");
        await page.Locator("[data-testid=events-table]").WaitForAsync();
        await page.ClickAsync("[data-testid=events-export]");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/exports\\?actor_id=user_42"));
        await Assertions.Expect(Field(page, "export-actor")).ToHaveValueAsync("user_42");
        await BrowserFixture.ScreenshotAsync(page, "20-exports-prefilled");

        await page.ClickAsync("[data-testid=create-export]");
        var status = page.Locator("[data-testid=exports-table] [data-testid=export-status]").First;
        await Assertions.Expect(status).ToContainTextAsync("completed", new() { Timeout = 20_000 });
        await BrowserFixture.ScreenshotAsync(page, "21-exports-completed");

        // The link downloads the file in the browser (a signed link: no key, no cookie needed).
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=export-download]"));
        var path = await download.PathAsync();
        var lines = (await File.ReadAllTextAsync(path!)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,sequence,created_at", lines[0].TrimStart('\uFEFF'), StringComparison.Ordinal);
        Assert.Equal(4, lines.Length); // the header and user_42's three events
        Assert.Contains(lines, l => l.Contains(",'=2+5,", StringComparison.Ordinal));
        var href = await page.Locator("[data-testid=export-download]").First.GetAttributeAsync("href");
        using (var anonymous = new HttpClient { BaseAddress = new Uri(App.BaseUrl) })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(href)).StatusCode);

        // The actor's timeline has its own Export button with the actor in it.
        await page.GotoAsync("/actors/user_42");
        await page.Locator("[data-testid=timeline-event]").First.WaitForAsync();
        Assert.Equal("/exports?actor_id=user_42", await page.Locator("[data-testid=actor-export]").GetAttributeAsync("href"));

        // Retention in Settings: a window, and the Exports page then warns about the boundary.
        await page.GotoAsync("/settings");
        await page.ClickAsync("text=\"Retention\"");
        await Field(page, "retention-days").FillAsync("90");
        await page.ClickAsync("[data-testid=save-retention]");
        await Assertions.Expect(page.Locator("[data-testid=retention-state]")).ToContainTextAsync("90 days");
        await BrowserFixture.ScreenshotAsync(page, "22-settings-retention");
        await page.GotoAsync("/exports");
        await Assertions.Expect(page.Locator("[data-testid=retention-warning]")).ToContainTextAsync("retention boundary");
    }

    private HttpClient ApiClientFor(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }
}
