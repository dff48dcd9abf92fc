using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Immutable.Tests.TestSupport;
using Microsoft.Playwright;

namespace Immutable.Tests.Browser;

/// <summary>
/// The analyst's and admin's path through the real app (a child process on 127.0.0.1, its own SQLite file) in
/// Debian's Chromium: first-run setup from the console link, API key, a rule made in the form, events posted through
/// the API, the alert arriving live, acknowledged, and its status changing. Screenshots of every main page are saved.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DashboardJourneyTests(BrowserFixture browser) : AppProcessTest("immutable-browser-")
{
    [GeneratedRegex(@"http://\S+/account/setup\?token=[A-Za-z0-9]+")]
    private static partial Regex SetupLink();

    internal static async Task<string> WaitForSetupLinkAsync(AppProcess app)
    {
        for (var i = 0; i < 100; i++)
        {
            if (SetupLink().Match(app.Output) is { Success: true } m) return m.Value;
            await Task.Delay(100);
        }
        throw new TimeoutException("no setup link on the console:\n" + app.Output);
    }

    /// <summary>Runs the first-run setup in <paramref name="page"/> and returns signed in on the overview.</summary>
    internal static async Task SetUpOwnerAsync(AppProcess app, IPage page)
    {
        await page.GotoAsync(await WaitForSetupLinkAsync(app));
        await page.FillAsync("#workspace", "acme");
        await page.FillAsync("#name", "Ana Owner");
        await page.FillAsync("#email", "ana@example.com");
        await page.FillAsync("#password", "correct horse battery");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(app.BaseUrl + "/");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Overview" }).WaitForAsync();
    }

    internal static async Task<string> CreateKeyInSettingsAsync(IPage page)
    {
        await page.GotoAsync("/settings");
        await Field(page, "key-label").FillAsync("journey");
        await page.ClickAsync("[data-testid=create-key]");
        var key = (await page.Locator("[data-testid=secret-value]").InnerTextAsync()).Trim();
        Assert.StartsWith("imk_", key);
        return key;
    }

    [Fact]
    public async Task Analyst_journey_setup_rule_live_alert_acknowledge()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);

        // Not signed in: every page sends you to sign in.
        await page.GotoAsync("/triage");
        Assert.Contains("/account/signin", page.Url);
        await BrowserFixture.ScreenshotAsync(page, "01-sign-in-first-run");

        await SetUpOwnerAsync(App, page);
        await BrowserFixture.ScreenshotAsync(page, "02-overview-empty");
        var key = await CreateKeyInSettingsAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "03-settings-api-key");

        // A rule made in the form: logins on any weekday are off-hours, so every login alerts; critical.
        await page.GotoAsync("/rules/new");
        await Field(page, "rule-name").FillAsync("Logins outside office hours");
        await SelectAsync(page, "[data-testid=rule-type]", "Off hours");
        await SelectAsync(page, "[data-testid=rule-severity]", "Critical");
        await Field(page, "rule-patterns").FillAsync("auth.login");
        Assert.Contains("22:00–05:59", await page.Locator("[data-testid=hours-help]").InnerTextAsync());
        foreach (var day in new[] { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" })
            await page.GetByLabel(day, new() { Exact = true }).CheckAsync();
        await BrowserFixture.ScreenshotAsync(page, "04-rule-form");
        await page.ClickAsync("[data-testid=save-rule]");
        await page.WaitForURLAsync(App.BaseUrl + "/rules");
        await page.Locator("[data-testid=rules-table]", new() { HasText = "Logins outside office hours" }).WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "05-rules");

        // Triage is open before the event exists: the alert must arrive live, without a reload.
        await page.GotoAsync("/triage?kind=alerts");
        await page.Locator("[data-testid=triage-empty]").WaitForAsync();
        using (var api = ApiClient(key))
        {
            var response = await api.PostAsync("/api/v1/events", Json("""{"actor_id":"user_42","actor_name":"Grace","action":"auth.login","ip_address":"81.2.69.160","user_agent":"Mozilla/5.0","session_id":"s1"}"""));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        var row = page.Locator("[data-testid=triage-grid] tbody tr", new() { HasText = "Logins outside office hours" });
        await row.WaitForAsync();
        await page.GetByText("Critical alert:").WaitForAsync(); // the snackbar
        await BrowserFixture.ScreenshotAsync(page, "06-triage-live-alert");

        // Detail, then acknowledge with a note; the status changes on the page.
        await row.Locator("td").Nth(3).ClickAsync();
        await page.Locator("[data-testid=alert-reason]").WaitForAsync();
        Assert.Contains("user_42", await page.Locator("[data-testid=alert-reason]").InnerTextAsync());
        Assert.Equal("open", (await page.Locator("[data-testid=alert-status]").InnerTextAsync()).Trim());
        await BrowserFixture.ScreenshotAsync(page, "07-alert-detail");
        await Field(page, "ack-note").FillAsync("Grace confirmed: travelling");
        await page.ClickAsync("[data-testid=ack-button]");
        await Assertions.Expect(page.Locator("[data-testid=alert-status]")).ToHaveTextAsync("acknowledged");
        Assert.Contains("ana@example.com", await page.Locator("[data-testid=alert-ack]").InnerTextAsync());

        // Triage opens on incidents: the alert's incident, acknowledged with it; resolving it needs a resolution.
        await page.GotoAsync("/triage?status=all");
        var incident = page.Locator("[data-testid=incidents-grid] tbody tr", new() { HasText = "Logins outside office hours" });
        await incident.WaitForAsync();
        await incident.Locator("[data-testid=incident-link]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=incident-status]")).ToHaveTextAsync("open");
        await Field(page, "comment-box").FillAsync("Grace is in Lisbon this week");
        await page.ClickAsync("[data-testid=comment-button]");
        await Assertions.Expect(page.Locator("[data-testid=comment-text]")).ToHaveTextAsync("Grace is in Lisbon this week");
        await BrowserFixture.ScreenshotAsync(page, "07b-incident-detail");

        // The other main pages render (and are kept as screenshots).
        await page.GotoAsync("/actors/user_42");
        await page.Locator("[data-testid=timeline-event]").First.WaitForAsync();
        await page.Locator("[data-testid=heatmap]").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "08-actor-timeline");
        await page.GotoAsync("/events?range=7d");
        await page.Locator("[data-testid=events-table]").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "09-events");
        // The time range stays in the URL across the pages that share it (the drawer's links carry it).
        await page.Locator(".mud-nav-link", new() { HasText = "Triage" }).ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/triage\?range=7d$"));
        await Assertions.Expect(page.Locator("[data-testid=range-preset]")).ToContainTextAsync("Last 7 d");
        // "/" focuses the app bar's search (not while typing in a field); a name finds the actor, Enter opens it.
        await page.Locator("body").PressAsync("/");
        await Assertions.Expect(page.Locator(".global-search input")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("grace");
        // The page opened just before renders late on a loaded machine; moving focus to its heading then would blur the
        // search, which drops the text typed so far. The heading takes focus only when nobody is typing in a field.
        var search = page.Locator(".global-search input");
        Assert.False(await page.EvaluateAsync<bool>("() => immutableDashboard.focusHeading('h1')"));
        await Assertions.Expect(search).ToBeFocusedAsync();
        await Assertions.Expect(search).ToHaveValueAsync("grace");
        // Enter opens the highlighted hit, the first one, once the results for the whole text are in.
        await page.Locator(".mud-popover-open .mud-selected-item [data-testid=search-hit][data-kind=actor]", new() { HasText = "user_42" }).WaitForAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(new Regex("/actors/user_42$"));
        await page.GotoAsync("/integrity");
        // With nobody typing, a new page's heading takes the focus, so a screen reader announces the page.
        await Assertions.Expect(page.Locator("h1")).ToBeFocusedAsync();
        // On a visit's first page the circuit can start after the viewer has tabbed into the page: the heading then
        // leaves the focus where the viewer put it (a keyboard walk lost its place when the heading took it back).
        var navLink = page.Locator(".mud-nav-link", new() { HasText = "Events" });
        await navLink.FocusAsync();
        Assert.False(await page.EvaluateAsync<bool>("() => immutableDashboard.focusHeading('h1', true)"));
        await Assertions.Expect(navLink).ToBeFocusedAsync();
        await page.ClickAsync("[data-testid=verify]");
        await Assertions.Expect(page.Locator("[data-testid=verify-result]")).ToContainTextAsync("Intact");
        await Assertions.Expect(page.Locator("[data-testid=verifications]")).ToContainTextAsync("user:ana@example.com");
        await BrowserFixture.ScreenshotAsync(page, "10-integrity");
        // The proof bundle downloads with the session's cookie: a header line, the keys, then the events.
        var bundle = await page.Context.APIRequest.GetAsync("/integrity/bundle");
        Assert.Equal(200, bundle.Status);
        var bundleLines = (await bundle.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\"kind\":\"bundle\"", bundleLines[0]);
        Assert.Contains(bundleLines, l => l.Contains("\"kind\":\"public_key\"", StringComparison.Ordinal));
        Assert.Contains(bundleLines, l => l.Contains("\"integrity\"", StringComparison.Ordinal));
        await page.GotoAsync("/monitors/new");
        await page.Locator("[data-testid=monitor-name]").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "11-monitor-form");
        await page.GotoAsync("/");
        await page.Locator("[data-testid=open-alerts]").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "12-overview");
        await page.ClickAsync("[data-testid=theme-toggle]");
        await BrowserFixture.ScreenshotAsync(page, "13-overview-toggled-theme");

        // Every change made in the browser is in the workspace's own chain, by the member.
        using (var api = ApiClient(key))
        {
            var audit = await api.GetStringAsync("/api/v1/events?actor_id=user:ana@example.com&limit=50");
            foreach (var action in new[] { "member.joined", "api_key.created", "alert_rule.created", "alert.acknowledged" })
                Assert.Contains($"\"{action}\"", audit);
        }

        // Signing out ends the session.
        await page.ClickAsync("[data-testid=sign-out]");
        await page.WaitForURLAsync(new Regex("/account/signin"));
        await page.GotoAsync("/triage");
        Assert.Contains("/account/signin", page.Url);
    }

    [Fact]
    public async Task Script_in_actor_name_and_metadata_renders_as_text_everywhere()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);
        await SetUpOwnerAsync(App, page);
        var key = await CreateKeyInSettingsAsync(page);
        const string name = "<script>window.__xss = 1</script>Mallory";
        const string note = "<img src=x onerror=\"window.__xss = 2\">";
        using (var api = ApiClient(key))
        {
            var rule = await api.PostAsync("/api/v1/alert-rules", Json("""{"name":"<b>every login</b>","rule_type":"off_hours","conditions":{"action_pattern":"auth.login","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}"""));
            Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
            var body = new System.Text.Json.Nodes.JsonObject
            {
                ["actor_id"] = "mallory", ["actor_name"] = name, ["action"] = "auth.login", ["session_id"] = "<i>s</i>",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["note"] = note },
            };
            var posted = await api.PostAsync("/api/v1/events", Json(body.ToJsonString()));
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }

        await page.GotoAsync("/triage?kind=alerts&status=all");
        var row = page.Locator("[data-testid=triage-grid] tbody tr", new() { HasText = "every login" });
        await row.WaitForAsync();
        await row.Locator("td").Nth(3).ClickAsync();
        await page.Locator("[data-testid=event-fields]").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=event-fields]")).ToContainTextAsync(name);
        await Assertions.Expect(page.Locator("[data-testid=event-metadata]")).ToContainTextAsync("<img src=x onerror=");
        Assert.Contains("<b>every login</b>", await page.Locator("[data-testid=alert-title]").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "14-xss-as-text");

        await page.GotoAsync("/actors/mallory");
        await Assertions.Expect(page.Locator("[data-testid=actor-name]")).ToHaveTextAsync(name);
        await page.GotoAsync("/events?actor_id=mallory");
        await page.Locator("[data-testid=events-table] tbody tr").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=event-json]")).ToContainTextAsync("onerror");

        // Nothing ran, and no element came from the payloads.
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
        Assert.Equal(0, await page.Locator("main img[src=x], .mud-main-content script").CountAsync());
    }

    [Fact]
    public async Task Sign_in_locks_out_after_repeated_failures()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);
        await SetUpOwnerAsync(App, page);
        var other = await browser.NewPageAsync(App.BaseUrl);
        for (var i = 0; i < 5; i++)
        {
            await other.GotoAsync("/account/signin");
            await other.FillAsync("#email", "ana@example.com");
            await other.FillAsync("#password", "wrong password " + i);
            await other.ClickAsync("button[type=submit]");
            await other.Locator("[data-testid=signin-error]").WaitForAsync();
        }
        Assert.Contains("locked", await other.Locator("[data-testid=signin-error]").InnerTextAsync());
        // Even the right password is refused while locked.
        await other.FillAsync("#email", "ana@example.com");
        await other.FillAsync("#password", "correct horse battery");
        await other.ClickAsync("button[type=submit]");
        Assert.Contains("locked", await other.Locator("[data-testid=signin-error]").InnerTextAsync());
        Assert.Contains("/account/signin", other.Url);
    }

    /// <summary>A MudBlazor text field's input, whether the test id landed on the input or on its wrapper.</summary>
    internal static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], textarea[data-testid={testId}], [data-testid={testId}] input, [data-testid={testId}] textarea").First;

    internal static async Task SelectAsync(IPage page, string selectTestId, string option)
    {
        await page.Locator(selectTestId).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = option }).First.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
    }

    internal HttpClient ApiClient(string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
