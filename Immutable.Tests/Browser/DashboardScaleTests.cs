using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Diagnostics;
using System.Globalization;
using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Immutable.Tests.Browser;

/// <summary>
/// The triage page with 100 000 alerts stored: server paging keeps the first render flat (measured against 1 000), and
/// the memory each connected analyst costs the server (one Blazor circuit per tab). Figures go to the test output and
/// to artifacts/dashboard-figures.txt; the assertions are about behaviour (paged totals), not about timings.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardScaleTests(BrowserFixture browser, ITestOutputHelper output) : AppProcessTest("immutable-scale-")
{
    [Fact]
    public async Task Triage_first_render_stays_flat_from_1k_to_100k_alerts_and_circuit_memory_is_measured()
    {
        var page = await browser.NewPageAsync(App.BaseUrl);
        await DashboardJourneyTests.SetUpOwnerAsync(App, page);

        await SeedAlertsAsync(1_000);
        var small = await TimeToFirstRowsAsync(page);
        Assert.Contains("of 1000", Digits(await page.Locator("[data-testid=triage-grid]").InnerTextAsync()));
        await SeedAlertsAsync(99_000);
        var large = await TimeToFirstRowsAsync(page);
        Assert.Contains("of 100000", Digits(await page.Locator("[data-testid=triage-grid]").InnerTextAsync()));
        Assert.Equal(25, await page.Locator("[data-testid=triage-grid] tbody tr.mud-table-row").CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "20-triage-100k-alerts");

        // Circuit memory: RSS of the app before and after 10 more analysts open the triage page.
        const int analysts = 10;
        await Task.Delay(1000);
        var before = App.ResidentMiB();
        var pages = new List<Microsoft.Playwright.IPage>();
        for (var i = 0; i < analysts; i++)
        {
            var p = await page.Context.NewPageAsync();
            await p.GotoAsync("/triage?kind=alerts");
            await p.Locator("[data-testid=triage-grid] tbody tr.mud-table-row").First.WaitForAsync();
            pages.Add(p);
        }
        await Task.Delay(2000);
        var after = App.ResidentMiB();
        var perCircuit = (after - before) / analysts;

        var figures = string.Create(CultureInfo.InvariantCulture,
            $"""
            triage time to first render (navigation → first rows painted, median of 5, Debian Chromium, 1280x720):
              1 000 alerts stored:   {small:F0} ms
              100 000 alerts stored: {large:F0} ms
            app resident memory: {before:F0} MiB with 1 analyst, {after:F0} MiB with {analysts + 1}: ≈ {perCircuit:F1} MiB per connected analyst (triage page open)
            """);
        output.WriteLine(figures);
        Directory.CreateDirectory(BrowserFixture.Artifacts);
        await File.WriteAllTextAsync(Path.Combine(BrowserFixture.Artifacts, "dashboard-figures.txt"), figures + Environment.NewLine);
        foreach (var p in pages) await p.CloseAsync();
    }

    /// <summary>The pager's "1-25 of 100,000" without group separators.</summary>
    private static string Digits(string text) => text.Replace(",", "", StringComparison.Ordinal).Replace("\u00a0", "", StringComparison.Ordinal);

    /// <summary>Median of 5 navigations to /triage until its first rows are in the DOM.</summary>
    private static async Task<double> TimeToFirstRowsAsync(Microsoft.Playwright.IPage page)
    {
        var samples = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            await page.GotoAsync("about:blank");
            var clock = Stopwatch.StartNew();
            await page.GotoAsync("/triage?kind=alerts&status=all");
            await page.Locator("[data-testid=triage-grid] tbody tr.mud-table-row").First.WaitForAsync();
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples[2];
    }

    private async Task SeedAlertsAsync(int count)
    {
        var options = new DbContextOptionsBuilder<ImmutableDbContext>().UseSqlite($"Data Source={Path.Combine(DataDirectory, "immutable.db")}").Options;
        await using var db = new ImmutableDbContext(options);
        var workspaceId = await db.Workspaces.Where(w => w.Name == "acme").Select(w => w.Id).SingleAsync();
        var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        string[] severities = ["low", "medium", "high", "critical"];
        for (var i = 0; i < count; i += 5000)
        {
            db.Alerts.AddRange(Enumerable.Range(i, Math.Min(5000, count - i)).Select(n => new AlertRecord
            {
                Id = "alt_" + Guid.NewGuid().ToString("D"), WorkspaceId = workspaceId, RuleId = "rul_seed", RuleName = "Seeded brute force",
                RuleType = RuleType.RepeatedAction, Severity = WireName.Parse<Severity>(severities[n % 4]), Status = n % 3 == 0 ? AlertStatus.Acknowledged : AlertStatus.Open,
                Reason = $"user_{n % 5000} failed to log in 25 times in 10 minutes", GroupKey = $"user_{n % 5000}", ActorId = $"user_{n % 5000}",
                Context = "{}", RelatedEventIds = "[]", FirstEventAt = start.AddSeconds(n), TriggeredAt = start.AddSeconds(n), LastSeenAt = start.AddSeconds(n), HitCount = 1,
            }));
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
    }
}
