using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Immutable.Tests.Browser;

/// <summary>
/// Every dashboard page at the two sizes analysts use (1280×720 and a 390×844 phone), in light and dark mode, with a
/// 200-character actor id and name in the data: no horizontal page overflow, no control cut off at the viewport's
/// edge, and no serious or critical axe-core violation (axe-core from npm, fetched by scripts/fetch-axe.sh, injected
/// into the real page). Screenshots of each go to artifacts/screenshots/layout-*.png. Every problem on every page is
/// collected first, so one run lists them all.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardLayoutTests(BrowserFixture browser, ITestOutputHelper output) : AppProcessTest("immutable-layout-")
{
    private static readonly string LongActorId = "svc-" + new string('x', 96) + "-" + new string('y', 99);
    private static readonly string LongActorName = "Maximiliana-" + new string('n', 188);


    /// <param name="Themed">Whether the page follows the saved theme: every page does, the static documents (the 404 a
    /// fresh request gets, the account pages) too, through wwwroot/theme.js and its cookie.</param>
    /// <param name="SignedOut">Opened without the session cookie (the sign-in page).</param>
    private sealed record PageCase(string Name, string Path, string Ready, bool Themed = true, bool SignedOut = false);

    [Fact]
    public async Task Dashboard_EveryPageAtBothSizesInBothThemes_NoOverflowNoClippedControlNoSeriousAxeViolation_EveryControlReachableByKeyboard()
    {
        Assert.Equal(200, LongActorId.Length);
        Assert.Equal(200, LongActorName.Length);
        var axe = Path.Combine(TestPaths.RepositoryRoot, ".cache", "axe", "axe.min.js");
        Assert.True(File.Exists(axe), $"{axe} is missing: test.sh runs scripts/fetch-axe.sh.");

        var setup = await browser.NewPageAsync(App.BaseUrl);
        await DashboardJourneyTests.SetUpOwnerAsync(App, setup);
        var key = await DashboardJourneyTests.CreateKeyInSettingsAsync(setup);
        var ids = await SeedAsync(key);
        var signedIn = await setup.Context.StorageStateAsync();
        await setup.Context.CloseAsync();

        PageCase[] pages =
        [
            new("overview", "/", "[data-testid=activity-map] [data-testid=world-map]"),
            new("triage", "/triage?status=all", "[data-testid=incidents-grid] tbody tr"),
            new("triage-alerts", "/triage?kind=alerts&status=all", "[data-testid=triage-grid] tbody tr"),
            new("incident", $"/incidents/{ids["incident"]}", "[data-testid=incident-title]"),
            new("alert", $"/alerts/{ids["alert"]}", "[data-testid=alert-reason]"),
            new("events", "/events", "[data-testid=events-table] tbody tr"),
            new("actors", "/actors", "[data-testid=actor-search]"),
            new("actor", $"/actors/{Uri.EscapeDataString(LongActorId)}", "[data-testid=activity-map] [data-testid=world-map]"),
            new("events-country", "/events?country=GB", "[data-testid=events-country]"),
            new("exports", "/exports", "[data-testid=exports-table]"),
            new("rules", "/rules", "[data-testid=rules-table]"),
            new("rule", $"/rules/{ids["rule"]}", "[data-testid=rule-name]"),
            new("rule-new", "/rules/new", "[data-testid=rule-name]"),
            new("monitors", "/monitors", "[data-testid=monitors-table]"),
            new("monitor", $"/monitors/{ids["monitor"]}", "[data-testid=monitor-activity]"),
            new("observation", $"/observations/{ids["observation"]}", "[data-testid=observation-event]"),
            new("integrity", "/integrity", "[data-testid=verify]"),
            .. Immutable.Web.Components.Pages.Settings.Settings.TabNames.Select(t => new PageCase($"settings-{t}", $"/settings?tab={t}", $"[data-testid=tab-{t}]")),
            new("not-found", "/no-such-page", "[data-testid=not-found]"),
            new("sign-in", "/account/signin", "button[type=submit]", SignedOut: true),
        ];

        // While fixing one page: IMMUTABLE_LAYOUT_PAGES=actor,triage checks only those (never set in test.sh).
        if (Environment.GetEnvironmentVariable("IMMUTABLE_LAYOUT_PAGES") is { Length: > 0 } only)
            pages = pages.Where(p => only.Split(',').Contains(p.Name)).ToArray();
        var problems = new List<string>();
        var checkedPages = 0;
        foreach (var (width, height) in new[] { (1280, 720), (390, 844) })
        foreach (var dark in new[] { false, true })
        {
            var theme = dark ? "dark" : "light";
            async Task<IBrowserContext> ContextAsync(string? state)
            {
                var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
                {
                    BaseURL = App.BaseUrl,
                    ViewportSize = new ViewportSize { Width = width, Height = height },
                    StorageState = state,
                    BypassCSP = true, // only so the test can inject axe-core; the app's own policy is tested elsewhere
                });
                context.SetDefaultTimeout(15_000);
                await context.AddInitScriptAsync($"localStorage.setItem('immutable.theme', '{theme}');");
                return context;
            }
            await using var context = await ContextAsync(signedIn);
            await using var anonymousContext = await ContextAsync(null);
            var signedInPage = await context.NewPageAsync();
            var anonymousPage = await anonymousContext.NewPageAsync();
            foreach (var p in pages)
            {
                var page = p.SignedOut ? anonymousPage : signedInPage;
                var where = $"{p.Name} at {width}×{height} {theme}";
                try
                {
                    await page.GotoAsync(p.Path);
                    await page.Locator(p.Ready).First.WaitForAsync();
                    if (p.Themed) await page.WaitForFunctionAsync(ThemeApplied, dark);
                    await page.WaitForTimeoutAsync(150); // MudBlazor's own after-render layout (tabs, tooltips)
                    foreach (var found in await page.EvaluateAsync<string[]>(LayoutProblems, width >= 1000)) problems.Add($"{where}: {found}");
                    await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = axe });
                    var violations = await page.EvaluateAsync<JsonElement>(AxeSeriousViolations);
                    foreach (var v in violations.EnumerateArray()) problems.Add($"{where}: axe {v.GetString()}");
                    // Keyboard: once per page (desktop, light), since the controls are the same in both themes.
                    if (width >= 1000 && !dark)
                        foreach (var found in await KeyboardUnreachableAsync(page)) problems.Add($"{where}: keyboard {found}");
                    await page.ScreenshotAsync(new PageScreenshotOptions
                    {
                        Path = Path.Combine(BrowserFixture.Screenshots, $"layout-{width}x{height}-{theme}-{p.Name}.png"), FullPage = true,
                    });
                    checkedPages++;
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    problems.Add($"{where}: did not render ({ex.Message.Split('\n')[0]})");
                }
            }
        }
        output.WriteLine($"{checkedPages} page renders checked");
        foreach (var p in problems) output.WriteLine(p);
        Assert.True(problems.Count == 0, $"{problems.Count} layout/accessibility problems:\n" + string.Join('\n', problems));
    }

    /// <summary>The body's (or the account card's) background follows the chosen theme (the layout applies the saved
    /// choice after its first render; theme.js before the first paint of the static pages).</summary>
    private const string ThemeApplied = """
        dark => {
          // The account pages draw their form on a card over a coloured page: the card follows the theme.
          const surface = document.querySelector('.account-card') || document.body;
          const m = getComputedStyle(surface).backgroundColor.match(/\d+/g);
          if (!m) return false;
          const sum = +m[0] + +m[1] + +m[2];
          return dark ? sum < 200 : sum > 500;
        }
        """;

    /// <summary>
    /// The page wider than the viewport, a table that needs sideways scrolling on a desktop screen, and visible controls
    /// whose box leaves the viewport horizontally (outside a container the user can scroll sideways, a closed drawer,
    /// or a tab bar with its own scroll buttons).
    /// </summary>
    private const string LayoutProblems = """
        wide => {
          const d = document.documentElement, vw = d.clientWidth, found = [];
          const describe = el => (el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('data-testid') || el.className || '').toString().trim().replace(/\s+/g, ' ').slice(0, 40);
          // The part of an element left visible by the ancestors that clip it (overflow other than visible).
          const visible = el => {
            let r = el.getBoundingClientRect(), left = r.left, right = r.right;
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              const s = getComputedStyle(p);
              if (s.overflowX !== 'visible') { const q = p.getBoundingClientRect(); left = Math.max(left, q.left); right = Math.min(right, q.right); }
            }
            return { left, right, scrolled: false };
          };
          if (d.scrollWidth > vw + 1) {
            let culprit = '';
            for (const el of document.body.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.right <= vw + 1) continue;
              const p = el.parentElement?.getBoundingClientRect();
              if (p && p.right <= vw + 1) { culprit = `${el.tagName.toLowerCase()}.${el.className} "${describe(el)}"`; break; }
            }
            found.push(`page is ${d.scrollWidth} px wide in a ${vw} px viewport (first to stick out: ${culprit})`);
          }
          // On a desktop screen a table shows all its columns: none hidden behind a sideways scroll.
          if (wide) for (const t of document.querySelectorAll('.mud-table-container'))
            if (t.scrollWidth > t.clientWidth + 1)
              found.push(`table ${t.closest('[data-testid]')?.getAttribute('data-testid') ?? ''} needs sideways scrolling (${t.scrollWidth} px in ${t.clientWidth})`);
          for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=button], [role=tab]')) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
            if (el.closest('.mud-drawer--closed, [aria-hidden=true], .mud-tabs-tabbar, .mud-popover:not(.mud-popover-open)')) continue;
            // A small country on the world map is a few pixels wide, not clipped: the list under the map names it too.
            if (el instanceof SVGElement) continue;
            let scrolls = false;
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              const o = getComputedStyle(p).overflowX;
              if ((o === 'auto' || o === 'scroll') && p.scrollWidth > p.clientWidth) { scrolls = true; break; }
            }
            if (scrolls) continue;
            const v = visible(el);
            if (v.right - v.left < 8) found.push(`${el.tagName.toLowerCase()} "${describe(el)}" is clipped out of sight`);
            else if (v.right > vw + 1 || v.left < -1)
              found.push(`${el.tagName.toLowerCase()} "${describe(el)}" spans ${Math.round(v.left)}..${Math.round(v.right)} px of ${vw}`);
          }
          return found;
        }
        """;

    /// <summary>
    /// Presses Tab until focus comes back round to the first element it reached, past the page's end (so where the
    /// walk starts does not matter), numbering each element focused, then lists the visible controls never reached:
    /// a control only a mouse can use. Focus that stays on one element for 8 presses is a trap (a date and time field
    /// takes one press per part). Focus that stays on the first element for one press is not coming round: in CI it
    /// once ended the walk on /actors after one element, and every other control was reported unreachable.
    /// </summary>
    private static async Task<IReadOnlyList<string>> KeyboardUnreachableAsync(IPage page)
    {
        await page.EvaluateAsync("() => document.querySelectorAll('[data-kb-reached]').forEach(e => e.removeAttribute('data-kb-reached'))");
        var problems = new List<string>();
        var walk = new List<string>();
        int first = 0, last = 0, same = 0, reached = 0;
        bool pastEnd = false, cameRound = false;
        for (var press = 0; press < 600 && !cameRound; press++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<JsonElement>(MarkFocused);
            var n = focused.GetProperty("n").GetInt32();
            if (n == 0) { pastEnd = first != 0; continue; } // past the page's end: the next Tab starts again at its top
            if (n != last) walk.Add($"{n} {focused.GetProperty("what").GetString()}");
            if (first == 0) first = n;
            else if (n == first && pastEnd) cameRound = true;
            same = n == last ? same + 1 : 0;
            if (same == 8) { problems.Add($"focus is trapped on {focused.GetProperty("what").GetString()}"); break; }
            last = n;
            reached = Math.Max(reached, n);
        }
        if (reached == 0) problems.Add("Tab reached nothing");
        else if (!cameRound && problems.Count == 0) problems.Add("Tab never came back round past the page's end (a focus loop)");
        // A tab list is one stop for Tab; its other tabs are reached with the arrow keys (the tabs pattern).
        var tablists = await page.EvaluateAsync<int>("() => document.querySelectorAll('[role=tablist]').length");
        for (var list = 0; list < tablists; list++)
        {
            var tabs = await page.EvaluateAsync<int>(FocusReachedTab, list);
            for (var press = 0; press < tabs; press++)
            {
                var before = await page.EvaluateHandleAsync("() => document.activeElement");
                await page.Keyboard.PressAsync("ArrowRight");
                try
                {
                    // MudTabs moves the focus after a round trip to the server.
                    await page.WaitForFunctionAsync("before => document.activeElement !== before", before, new() { Timeout = 5_000 });
                }
                catch (TimeoutException)
                {
                    break; // the arrow moved nothing: the tabs left are reported below
                }
                await page.EvaluateAsync<JsonElement>(MarkFocused);
            }
        }
        problems.AddRange(await page.EvaluateAsync<string[]>(UnreachedControls));
        if (problems.Count > 0) problems.Add("Tab reached, in order: " + string.Join(" → ", walk.Take(40)));
        return problems;
    }

    /// <summary>Focuses the tab that Tab reached in the given tab list; returns how many tabs it has (0 if none was reached).</summary>
    private const string FocusReachedTab = """
        index => {
          const list = document.querySelectorAll('[role=tablist]')[index];
          const reached = list?.querySelector('[role=tab][data-kb-reached]');
          if (!reached) return 0;
          reached.focus();
          return list.querySelectorAll('[role=tab]').length;
        }
        """;

    private const string MarkFocused = """
        () => {
          const a = document.activeElement;
          if (!a || a === document.body || a === document.documentElement) return { n: 0, what: '' };
          if (!a.hasAttribute('data-kb-reached'))
            a.setAttribute('data-kb-reached', String(document.querySelectorAll('[data-kb-reached]').length + 1));
          const what = `${a.tagName.toLowerCase()} "${(a.getAttribute('aria-label') || a.innerText || a.getAttribute('data-testid') || '').trim().slice(0, 40)}"`;
          return { n: +a.getAttribute('data-kb-reached'), what };
        }
        """;

    /// <summary>Visible, enabled controls not reached by Tab, themselves or through the control around them or in them
    /// (a MudBlazor checkbox is a span around the input that takes the focus).</summary>
    private const string UnreachedControls = """
        () => {
          const controls = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=tab], [role=switch], [role=checkbox], [role=link], [tabindex]:not([tabindex="-1"])';
          const describe = el => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('data-testid') || el.className || '').toString().trim().replace(/\s+/g, ' ').slice(0, 40)}"`;
          const found = [];
          for (const el of document.querySelectorAll(controls)) {
            if (el.disabled || el.getAttribute('aria-disabled') === 'true') continue;
            // Out of the tab order on purpose: MudBlazor's adornment, clear and spin buttons, whose action the field
            // itself takes from the keyboard (Enter, Delete, arrow keys). Any other tabindex -1 control is reported.
            if (el.closest('.mud-input-adornment, .mud-input-numeric-spin, .mud-input-clear-button')) continue;
            // An open list's options are chosen with the arrow keys (the listbox pattern), not Tab.
            if (el.closest('[role=listbox]')) continue;
            if (el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden') continue;
            if (el.closest('[aria-hidden=true], [inert], .mud-drawer--closed, .mud-popover:not(.mud-popover-open)')) continue;
            if (el.hasAttribute('data-kb-reached') || el.querySelector('[data-kb-reached]')) continue;
            const around = el.parentElement?.closest(controls);
            if (around && around.hasAttribute('data-kb-reached')) continue;
            found.push(`${describe(el)} cannot be reached with Tab: ${el.outerHTML.slice(0, 200)}`);
          }
          return found;
        }
        """;

    private const string AxeSeriousViolations = """
        async () => {
          const result = await axe.run(document, { resultTypes: ['violations'] });
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id} (${v.help}) on ${v.nodes.length} node(s), e.g. ${v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | ')}`);
        }
        """;

    /// <summary>A rule that alerts on every login, logins and document events by a long-named actor and a normal one, a monitor and an export.</summary>
    private async Task<Dictionary<string, string>> SeedAsync(string key)
    {
        using var api = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        async Task<JsonNode> PostAsync(string path, string body)
        {
            var response = await api.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!;
        }

        var ids = new Dictionary<string, string>
        {
            ["rule"] = (await PostAsync("/api/v1/alert-rules", """{"name":"Logins at any hour (layout check)","rule_type":"off_hours","severity":"high","conditions":{"action_pattern":"auth.login","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}"""))["data"]!["id"]!.GetValue<string>(),
            ["monitor"] = (await PostAsync("/api/v1/monitors", """{"name":"Query volume per user","thresholds":[{"value":1000,"severity":"high"}]}"""))["data"]!["id"]!.GetValue<string>(),
            ["rows-monitor"] = (await PostAsync("/api/v1/monitors", """{"name":"Rows per user","metric":"rows_accessed","thresholds":[{"value":100,"severity":"medium"}]}"""))["data"]!["id"]!.GetValue<string>(),
        };
        var events = new JsonArray();
        foreach (var (actor, name, ip) in new[] { (LongActorId, LongActorName, "81.2.69.160"), ("user_42", "Grace Hopper", "2.125.160.216") })
        {
            events.Add(new JsonObject { ["actor_id"] = actor, ["actor_name"] = name, ["action"] = "auth.login", ["ip_address"] = ip, ["session_id"] = "sess-" + new string('s', 60), ["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64) " + new string('u', 150) });
            events.Add(new JsonObject
            {
                ["actor_id"] = actor, ["actor_name"] = name, ["action"] = "document.exported." + new string('d', 80), ["ip_address"] = ip,
                ["resource"] = "document", ["resource_id"] = "doc_" + new string('r', 150),
                ["targets"] = new JsonArray(new JsonObject { ["type"] = "folder", ["id"] = "fld_" + new string('f', 150), ["name"] = "Quarterly " + new string('q', 150) }),
                ["metadata"] = new JsonObject { ["path"] = "/" + string.Join('/', Enumerable.Repeat("segment", 40)), ["reason"] = new string('w', 300) },
            });
        }
        // Query events of the long-named actor over the rows monitor's threshold: an observation with its per-event values.
        for (var i = 0; i < 2; i++)
            events.Add(new JsonObject
            {
                ["actor_id"] = LongActorId, ["actor_name"] = LongActorName, ["action"] = "query.executed", ["ip_address"] = "81.2.69.160",
                ["metadata"] = new JsonObject { ["schema"] = "prod_" + new string('p', 80), ["table"] = "t_" + new string('t', 120), ["rows"] = 500, ["outcome"] = "success" },
            });
        await PostAsync("/api/v1/events/batch", new JsonObject { ["events"] = events }.ToJsonString());
        await PostAsync("/api/v1/exports", "{}");

        // Monitors are evaluated every 10 s (Monitors:EvaluationSeconds).
        for (var i = 0; i < 300 && !ids.ContainsKey("observation"); i++)
        {
            var observations = JsonNode.Parse(await api.GetStringAsync("/api/v1/observations?limit=10"))!["data"]!.AsArray();
            if (observations.FirstOrDefault() is { } observation) ids["observation"] = observation["id"]!.GetValue<string>();
            else await Task.Delay(100);
        }
        Assert.True(ids.ContainsKey("observation"), "no observation for the long-named actor");

        // The rule's alerts are raised by stream detection right after the commit.
        for (var i = 0; i < 100 && !ids.ContainsKey("alert"); i++)
        {
            var alerts = JsonNode.Parse(await api.GetStringAsync("/api/v1/alerts?limit=10"))!["data"]!.AsArray();
            if (alerts.FirstOrDefault(a => a!["actor_id"]?.GetValue<string>() == LongActorId) is { } alert) ids["alert"] = alert["id"]!.GetValue<string>();
            else await Task.Delay(100);
        }
        Assert.True(ids.ContainsKey("alert"), "no alert for the long-named actor");
        // Its incident, committed with it; a comment so the timeline is drawn too.
        var incidents = JsonNode.Parse(await api.GetStringAsync("/api/v1/incidents?actor_id=" + Uri.EscapeDataString(LongActorId)))!["data"]!.AsArray();
        ids["incident"] = Assert.Single(incidents)!["id"]!.GetValue<string>();
        await PostAsync($"/api/v1/incidents/{ids["incident"]}/comments", """{"text":"Checked with the account owner: the laptop was stolen on the way home (layout check with a long comment)"}""");
        return ids;
    }
}
