using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Immutable.Tests.Browser;

/// <summary>
/// The embeddable viewer in Debian's Chromium: a customer's page on another origin (a second listener on another port)
/// loads audit-log-viewer.js from the app and embeds &lt;audit-log-viewer token="…" theme="dark"&gt;; it shows the token's
/// tenant's events only, filters them, and neither the frame nor the customer's page can reach anything else.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class EmbeddedViewerTests(BrowserFixture browser) : AppProcessTest("immutable-viewer-")
{
    private WebApplication _customer = default!;
    private string _customerUrl = "";
    private string _token = "";

    public override async Task InitializeAsync()
    {
        var (exit, key, stderr) = await AppProcess.RunCliAsync(DataDirectory, "keys", "create", "--workspace", "acme", "--label", "viewer");
        Assert.True(exit == 0, stderr);
        App = await AppProcess.StartAsync(DataDirectory);

        // The customer's site: another origin, serving one page that embeds the viewer.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        _customer = builder.Build();
        _customer.MapGet("/activity", () => Results.Content($$"""
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Customer app</title><script src="{{App.BaseUrl}}/audit-log-viewer.js"></script></head>
            <body><h1>Your team's activity</h1>
            <audit-log-viewer token="{{_token}}" theme="dark" height="480"></audit-log-viewer>
            </body></html>
            """, "text/html"));
        await _customer.StartAsync();
        _customerUrl = _customer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var api = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        await api.IngestAsync(new { actor_id = "u_ana", actor_name = "Ana Alpha", action = "document.created", resource_name = "Q3 plan", tenant_id = "t_alpha", ip_address = "81.2.69.142" });
        await api.IngestAsync(new { actor_id = "u_bo", actor_name = "Bo Alpha", action = "document.deleted", resource_name = "Old draft", tenant_id = "t_alpha" });
        await api.IngestAsync(new { actor_id = "u_cy", actor_name = "Cy Beta", action = "document.created", resource_name = "Beta secret", tenant_id = "t_beta" });
        var put = await api.PutAsync("/api/v1/settings/viewer", new StringContent($$"""{"frame_ancestors":["{{_customerUrl}}"]}""", Encoding.UTF8, "application/json"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var issued = await api.PostJsonAsync("/api/v1/viewer-token", new { tenant_id = "t_alpha" });
        _token = (await issued.ReadJsonAsync())["token"]!.GetValue<string>();
    }

    public override async Task DisposeAsync()
    {
        await _customer.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task EmbeddedViewer_OnAnotherOrigin_ShowsOnlyItsTenant_AndReachesNothingElse()
    {
        var page = await browser.NewPageAsync(_customerUrl);
        await page.GotoAsync("/activity");
        var frame = page.FrameLocator("audit-log-viewer iframe");
        var rows = frame.Locator("[data-testid=viewer-feed] tbody tr[data-event-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        var feed = await frame.Locator("[data-testid=viewer-feed]").InnerTextAsync();
        Assert.Contains("Ana Alpha", feed);
        Assert.Contains("Bo Alpha", feed);
        Assert.Contains("document.deleted", feed);
        Assert.Contains("81.2.69.142", feed);
        Assert.DoesNotContain("Cy Beta", feed);
        Assert.DoesNotContain("Beta secret", feed);
        Assert.Equal("dark", await frame.Locator("html").GetAttributeAsync("data-theme"));
        await BrowserFixture.ScreenshotAsync(page, "30-embedded-viewer-dark");

        // Filters: by action.
        await frame.Locator("#action").FillAsync("document.deleted");
        await frame.Locator("#filters button[type=submit]").ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        Assert.Contains("Bo Alpha", await rows.First.InnerTextAsync());

        // Inside the frame, the token reads events and nothing else.
        var viewerFrame = page.Frames.Single(f => f.Url.StartsWith(App.BaseUrl + "/viewer", StringComparison.Ordinal));
        var status = await viewerFrame.EvaluateAsync<int>("t => fetch('/api/v1/alerts', { headers: { Authorization: 'Bearer ' + t } }).then(r => r.status)", _token);
        Assert.Equal(401, status);
        var beta = await viewerFrame.EvaluateAsync<int>("t => fetch('/api/v1/events?tenant_id=t_beta', { headers: { Authorization: 'Bearer ' + t } }).then(r => r.json()).then(b => b.data.length)", _token);
        Assert.Equal(0, beta);

        // The customer's page can neither read the frame nor call the API from its origin.
        Assert.True(await page.EvaluateAsync<bool>("() => document.querySelector('audit-log-viewer').shadowRoot.querySelector('iframe').contentDocument === null"));
        var crossOrigin = await page.EvaluateAsync<string>(
            "([u, t]) => fetch(u + '/api/v1/events', { headers: { Authorization: 'Bearer ' + t } }).then(() => 'read', () => 'blocked')", new[] { App.BaseUrl, _token });
        Assert.Equal("blocked", crossOrigin);
    }

    [Fact]
    public async Task ViewerPage_Light_OpenedDirectly_PagesAndShowsTheTenantOnly()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);
        await page.GotoAsync($"/viewer?token={_token}");
        var rows = page.Locator("[data-testid=viewer-feed] tbody tr[data-event-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        Assert.Equal("light", await page.Locator("html").GetAttributeAsync("data-theme"));
        Assert.DoesNotContain("Cy Beta", await page.Locator("[data-testid=viewer-feed]").InnerTextAsync());
        Assert.Contains("2 events", await page.Locator("#total").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "31-viewer-light");

        await page.GotoAsync("/viewer?token=not-a-token");
        await Assertions.Expect(page.Locator("[data-testid=viewer-error]")).ToBeVisibleAsync();
    }
}
