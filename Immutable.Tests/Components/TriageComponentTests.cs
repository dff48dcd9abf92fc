using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Components;

/// <summary>The triage grid and the alert detail rendered by bUnit over a real host's services and SQLite file.</summary>
public sealed class TriageComponentTests : DashboardComponentTest
{

    private async Task SeedAsync(params (string Severity, string Status, string Actor, string Rule)[] alerts)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var at = new DateTime(2026, 3, 27, 12, 0, 0, DateTimeKind.Utc);
        var n = 0;
        foreach (var (severity, status, actor, rule) in alerts)
        {
            db.Alerts.Add(new AlertRecord
            {
                Id = "alt_" + Guid.NewGuid().ToString("D"), WorkspaceId = WorkspaceId, RuleId = "rul_" + rule, RuleName = rule, RuleType = RuleType.RepeatedAction,
                Severity = WireName.Parse<Immutable.Domain.Alerts.Severity>(severity), Status = WireName.Parse<AlertStatus>(status), Reason = $"{actor} did it ({severity})", GroupKey = actor, ActorId = actor, Context = "{}",
                RelatedEventIds = "[]", FirstEventAt = at.AddMinutes(n), TriggeredAt = at.AddMinutes(n), LastSeenAt = at.AddMinutes(n), HitCount = 1,
            });
            n++;
        }
        await db.SaveChangesAsync();
    }

    private IRenderedComponent<Triage> RenderTriage(string url)
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return Ctx.Render<Triage>();
    }

    private static List<string> Reasons(IRenderedComponent<Triage> cut) =>
        cut.FindAll("[data-testid=triage-grid] tbody tr.mud-table-row").Select(r => r.QuerySelectorAll("td")[4].TextContent.Trim()).ToList();

    [Fact]
    public async Task Filters_in_the_url_become_the_grids_query()
    {
        await SeedAsync(("critical", "open", "user_1", "brute"), ("low", "open", "user_1", "brute"), ("critical", "acknowledged", "user_1", "brute"),
            ("critical", "open", "user_2", "brute"), ("high", "open", "user_1", "travel"));

        var cut = RenderTriage("/triage?kind=alerts&severity=critical&actor=user_1");
        cut.WaitForAssertion(() => Assert.Equal(["user_1 did it (critical)"], Reasons(cut)));

        // status=all brings the acknowledged one back; newest first.
        cut = RenderTriage("/triage?kind=alerts&severity=critical,high&status=all&actor=user_1");
        cut.WaitForAssertion(() => Assert.Equal(["user_1 did it (high)", "user_1 did it (critical)", "user_1 did it (critical)"], Reasons(cut)));

        cut = RenderTriage("/triage?kind=alerts&source=rul_travel");
        cut.WaitForAssertion(() => Assert.Equal(["user_1 did it (high)"], Reasons(cut)));
    }

    [Fact]
    public async Task Default_view_is_open_alerts_and_says_what_to_do_when_empty()
    {
        var cut = RenderTriage("/triage?kind=alerts");
        cut.WaitForAssertion(() => Assert.Contains("create or enable rules", cut.Find("[data-testid=triage-empty]").TextContent));
        await SeedAsync(("medium", "acknowledged", "user_9", "brute"));
        cut = RenderTriage("/triage?kind=alerts&severity=critical");
        cut.WaitForAssertion(() => Assert.Contains("Clear the filters", cut.Find("[data-testid=triage-empty]").TextContent));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?kind=observations&status=all&severity=low,critical&source=mon_1&actor=a%20b&from=2026-03-01T10:00&to=2026-03-02T00:00")]
    [InlineData("?kind=alerts&status=acknowledged&rule_type=new_country")]
    [InlineData("?status=resolved&severity=high&actor=ana")]
    public void The_filter_survives_the_url_round_trip(string query)
    {
        var filter = TriageFilter.Parse(query);
        Assert.Equal(filter, TriageFilter.Parse(filter.ToQueryString()));
    }

    [Fact]
    public void Nonsense_in_the_url_falls_back_to_safe_defaults()
    {
        var rangeErrors = new List<(string Field, string Message)>();
        var filter = TriageFilter.Parse("?kind=<script>&status=whatever&severity=bogus,critical&from=notadate", TimeZoneInfo.Utc, rangeErrors);
        Assert.Equal("incidents", filter.Kind);
        Assert.Equal("open", filter.Status);
        Assert.Equal(["critical"], filter.Severities);
        Assert.Equal(new Immutable.Web.Components.Shared.TimeRange(), filter.Range);
        Assert.Contains(rangeErrors, e => e.Field == "from"); // the picker shows it beside the field
    }

    [Fact]
    public async Task Alert_detail_shows_reason_event_context_and_acknowledges_through_the_api()
    {
        using var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", (await App.CreateKeyAsync("acme")).Key);
        await client.CreateRuleAsync("""{"name":"Login from a new country","rule_type":"new_country"}""");
        await client.IngestAsync(new { actor_id = "user_5a3c8f", action = "auth.login", ip_address = NewYorkIp, occurred_at = "2026-03-26T14:00:00Z" });
        await client.IngestAsync(new
        {
            actor_id = "user_5a3c8f", actor_name = "<script>alert(1)</script>Jordan", action = "auth.login", ip_address = BucharestIp,
            occurred_at = "2026-03-27T02:00:00Z", metadata = new { note = "<img src=x onerror=alert(2)>" },
        });
        var alert = (await client.WaitForAlertsAsync("/api/v1/alerts", 1))[0]!;

        var cut = Ctx.Render<AlertDetail>(p => p.Add(d => d.Id, alert["id"]!.GetValue<string>()));
        cut.WaitForAssertion(() => Assert.Contains("for the first time (previously seen in: US)", cut.Find("[data-testid=alert-reason]").TextContent));
        var context = cut.Find("[data-testid=rule-context]").TextContent;
        Assert.Contains("Previous countries", context);
        Assert.Contains("RO", context);
        Assert.Equal("1", cut.Find("[data-testid=alert-hits]").TextContent.Trim());

        // Untrusted values are text: encoded in the markup, never elements.
        Assert.Contains("<script>alert(1)</script>Jordan", cut.Find("[data-testid=event-fields]").TextContent);
        Assert.Contains("&lt;script&gt;", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=event-fields] script, [data-testid=event-metadata] img"));
        Assert.Contains("\"note\": \"<img src=x onerror=alert(2)>\"", cut.Find("[data-testid=event-metadata]").TextContent);

        cut.Find("[data-testid=ack-note] textarea, textarea[data-testid=ack-note]").Change("checked with Jordan");
        cut.Find("[data-testid=ack-button]").Click();
        cut.WaitForAssertion(() => Assert.Equal("acknowledged", cut.Find("[data-testid=alert-status]").TextContent.Trim()));
        Assert.Contains("by user:ana@example.com", cut.Find("[data-testid=alert-ack]").TextContent);
        Assert.Contains("checked with Jordan", cut.Find("[data-testid=alert-ack]").TextContent);

        var stored = await client.GetJsonAsync($"/api/v1/alerts/{alert["id"]}");
        Assert.Equal("acknowledged", stored["data"]!["status"]!.GetValue<string>());
        var audit = await client.GetJsonAsync("/api/v1/events?action=alert.acknowledged");
        Assert.Equal("user:ana@example.com", audit["data"]![0]!["actor_id"]!.GetValue<string>());
    }
}

public sealed class DashboardRoleTests
{
    [Fact]
    public async Task An_analyst_cannot_change_rules_even_by_calling_the_action()
    {
        await using var app = new ImmutableAppFactory();
        var key = await app.CreateKeyAsync("acme");
        var rules = app.Services.GetRequiredService<Immutable.Web.Detection.AlertRuleService>();
        var analyst = new Immutable.Web.Accounts.DashboardUser("usr_1", "an@example.com", "An", key.WorkspaceId, "acme", "analyst");
        var rule = new Immutable.Web.Components.Pages.Rules.RuleFormModel { Name = "x", RuleType = "new_country" }.ToJson();

        using (var definition = Immutable.Web.Api.JsonInput.Of(rule))
        {
            var refused = await rules.CreateAsync(analyst.Caller, definition);
            Assert.Equal(403, refused.Problem?.Status);
        }
        Assert.Empty(await rules.ListAsync(analyst.Caller));

        var admin = analyst with { Role = "admin", Email = "ad@example.com" };
        using (var definition = Immutable.Web.Api.JsonInput.Of(rule))
        {
            var saved = await rules.CreateAsync(admin.Caller, definition);
            Assert.True(saved.Succeeded);
        }
        Assert.Single(await rules.ListAsync(analyst.Caller));
    }
}
