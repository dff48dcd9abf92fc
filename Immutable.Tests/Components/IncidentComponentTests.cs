using Bunit;
using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Incidents;
using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Severity = Immutable.Domain.Alerts.Severity;

namespace Immutable.Tests.Components;

/// <summary>Triage's incident list and the incident page (triage form, assignee, comments) over a real host's store.</summary>
public sealed class IncidentComponentTests : DashboardComponentTest
{
    private const string IncidentId = "inc_00000000-0000-7000-8000-000000000001";

    protected override bool HostClock => true; // relative time ranges end at the host's now

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync();
    }

    private async Task<ImmutableDbContext> StoreAsync() =>
        await App.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();

    /// <summary>One open incident of actor "jordan" with two open alerts; two members.</summary>
    private async Task SeedAsync()
    {
        await using var db = await StoreAsync();
        var at = new DateTime(2026, 3, 27, 12, 0, 0, DateTimeKind.Utc);
        db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = WorkspaceId, Email = "ana@example.com", Name = "Ana Owner", Role = Role.Owner });
        db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = WorkspaceId, Email = "bo@example.com", Name = "Bo Analyst", Role = Role.Analyst });
        db.Incidents.Add(new IncidentRecord
        {
            Id = IncidentId, WorkspaceId = WorkspaceId, GroupBy = IncidentGrouping.Actor, GroupValue = "jordan", OpenKey = "actor:jordan",
            Title = "Login from a new country", ActorId = "jordan", ActorName = "Jordan", Severity = Severity.High, Status = IncidentStatus.Open,
            AlertCount = 2, FirstActivityAt = at, LastActivityAt = at.AddMinutes(5), CreatedAt = at, UpdatedAt = at,
        });
        foreach (var (n, severity) in new[] { (0, Severity.Medium), (1, Severity.High) })
        {
            db.Alerts.Add(new AlertRecord
            {
                Id = $"alt_{n}", WorkspaceId = WorkspaceId, RuleId = "rul_x", RuleName = "Login from a new country", RuleType = RuleType.NewCountry,
                Severity = severity, Status = AlertStatus.Open, Reason = $"jordan logged in from RO ({n})", GroupKey = "jordan", ActorId = "jordan", Context = "{}",
                RelatedEventIds = "[]", FirstEventAt = at.AddMinutes(5 * n), TriggeredAt = at, LastSeenAt = at, HitCount = 1, IncidentId = IncidentId,
            });
        }
        await db.SaveChangesAsync();
    }

    private IRenderedComponent<IncidentDetail> RenderDetail()
    {
        var cut = Ctx.Render<IncidentDetail>(p => p.Add(d => d.Id, IncidentId));
        cut.WaitForAssertion(() => Assert.Equal("Login from a new country", cut.Find("[data-testid=incident-title]").TextContent.Trim()));
        return cut;
    }

    private static void Select(IRenderedComponent<IncidentDetail> cut, string testId, string value)
    {
        var select = cut.FindComponents<MudSelect<string>>().Single(s => Equals(s.Instance.UserAttributes.GetValueOrDefault("data-testid"), testId));
        cut.InvokeAsync(() => select.Instance.SelectOption(value));
    }

    /// <summary>The text of a field's whole control: its label, value and the message shown under it.</summary>
    private static string FieldText(IRenderedComponent<IncidentDetail> cut, string testId) =>
        cut.Find($"[data-testid={testId}]").Closest(".mud-input-control")!.TextContent;

    private async Task<IncidentRecord> StoredAsync()
    {
        await using var db = await StoreAsync();
        return await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == IncidentId);
    }

    [Fact]
    public async Task Triage_ByDefault_ListsIncidents_WithAlertCountStatusAndAssignee()
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/triage");
        var cut = Ctx.Render<Triage>();
        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("[data-testid=incidents-grid] tbody tr.mud-table-row");
            Assert.Contains("Login from a new country", row.TextContent, StringComparison.Ordinal);
            Assert.Contains("Actor Jordan (jordan)", row.TextContent, StringComparison.Ordinal);
            Assert.Equal("2", row.QuerySelector("[data-testid=incident-count]")!.TextContent.Trim());
            Assert.Equal("open", row.QuerySelector("[data-testid=incident-status]")!.TextContent.Trim());
        });
        Assert.Empty(cut.FindAll("[data-testid=triage-grid]"));

        // Resolved incidents are behind the status filter.
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/triage?status=resolved");
        cut = Ctx.Render<Triage>();
        cut.WaitForAssertion(() => Assert.Contains("No incidents match these filters", cut.Find("[data-testid=incidents-empty]").TextContent, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/triage?range=1h", false)]                          // findings 12:00–12:05, now 14:00
    [InlineData("/triage?range=24h", true)]
    [InlineData("/triage?from=2026-03-27T12:04:00Z&to=2026-03-27T12:30:00Z", true)] // overlaps the span's end
    [InlineData("/triage?from=2026-03-27T11:00:00Z&to=2026-03-27T11:59:00Z", false)]
    [InlineData("/triage?range=1h&time=ingested", false)]            // created 12:00
    [InlineData("/triage?from=2026-03-27T11:59:00Z&to=2026-03-27T12:01:00Z&time=ingested", true)]
    public void Incidents_FollowTheTimeRange_ByTheirFindingsSpanOrByCreation(string url, bool listed)
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        var cut = Ctx.Render<Triage>();
        if (listed)
            cut.WaitForAssertion(() => Assert.Contains("Login from a new country", cut.Find("[data-testid=incidents-grid] tbody tr.mud-table-row").TextContent, StringComparison.Ordinal));
        else
            cut.WaitForAssertion(() => Assert.Contains("No incidents match these filters", cut.Find("[data-testid=incidents-empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolve_WithoutAResolution_SaysSoNextToTheField_AndSavesNothing_ThenResolvesAndAcknowledgesTheAlerts()
    {
        var cut = RenderDetail();
        Select(cut, "incident-status-select", "resolved");
        cut.WaitForAssertion(() => cut.Find("[data-testid=incident-resolution-select]"));
        cut.Find("[data-testid=incident-save]").Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("is required to resolve", FieldText(cut, "incident-resolution-select"), StringComparison.Ordinal);
            Assert.Contains("resolution", cut.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal);
        });
        Assert.Equal(IncidentStatus.Open, (await StoredAsync()).Status);

        Select(cut, "incident-resolution-select", "benign");
        cut.Find("[data-testid=incident-note-box] textarea, textarea[data-testid=incident-note-box]").Change("Jordan is travelling");
        cut.Find("[data-testid=incident-save]").Click();
        cut.WaitForAssertion(() => Assert.Equal("resolved", cut.Find("[data-testid=incident-status]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=form-problems]"));
        var stored = await StoredAsync();
        Assert.Equal((IncidentStatus.Resolved, IncidentResolution.Benign, "Jordan is travelling", "user:ana@example.com", (string?)null),
            (stored.Status, stored.Resolution, stored.Note, stored.ResolvedBy, stored.OpenKey));
        await using var db = await StoreAsync();
        Assert.All(await db.Alerts.AsNoTracking().Where(a => a.IncidentId == IncidentId).ToListAsync(),
            a => Assert.Equal((AlertStatus.Acknowledged, "Jordan is travelling"), (a.Status, a.AcknowledgementNote)));
    }

    [Fact]
    public async Task Assignee_IsChosenAmongTheMembers_AndShown()
    {
        var cut = RenderDetail();
        Assert.Equal("Unassigned", cut.Find("[data-testid=incident-assignee]").TextContent.Trim());
        Select(cut, "incident-assignee-select", "bo@example.com");
        cut.Find("[data-testid=incident-save]").Click();
        cut.WaitForAssertion(() => Assert.Equal("bo@example.com", cut.Find("[data-testid=incident-assignee]").TextContent.Trim()));
        Assert.Equal("bo@example.com", (await StoredAsync()).Assignee);
    }

    [Fact]
    public async Task Comment_Empty_SaysSoNextToTheBox_ThenJoinsTheTimelineAsText()
    {
        var cut = RenderDetail();
        cut.Find("[data-testid=comment-button]").Click();
        cut.WaitForAssertion(() => Assert.Contains("is required", FieldText(cut, "comment-box"), StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=comment-text]"));

        cut.Find("[data-testid=comment-box] textarea, textarea[data-testid=comment-box]").Change("<img src=x onerror=alert(1)> reset the password");
        cut.Find("[data-testid=comment-button]").Click();
        cut.WaitForAssertion(() => Assert.Equal("<img src=x onerror=alert(1)> reset the password", cut.Find("[data-testid=comment-text]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=incident-comments] img"));
        Assert.Contains("Ana Owner", cut.Find("[data-testid=incident-comments]").TextContent, StringComparison.Ordinal);
        await using var db = await StoreAsync();
        Assert.Single(await db.IncidentComments.AsNoTracking().ToListAsync());
    }
}
