using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Actors;
using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Components.Shared;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Immutable.Tests.Hardening;

/// <summary>Invisible and direction-changing characters are stored as sent but never rendered raw in the dashboard.</summary>
public sealed class VisibleTextTests : IAsyncLifetime
{
    private const string Disguised = "Ana\u202Egnp.exe";
    private readonly ImmutableAppFactory _app = new();
    private BunitContext _ctx = default!;
    private HttpClient _client = default!;
    private string _workspaceId = "";

    public async Task InitializeAsync()
    {
        var key = await _app.CreateKeyAsync("visible");
        _workspaceId = key.WorkspaceId;
        _client = _app.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        _ctx = DashboardComponentContext.Create(_app.Services, _workspaceId);
        _ctx.Render<MudPopoverProvider>();
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _app.DisposeAsync();
    }

    public static TheoryData<char> InvisibleCharacters()
    {
        var data = new TheoryData<char>();
        foreach (var c in "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200B\u200C\u200D\u200E\u200F\uFEFF\u0000\u0007\t\n\r\u001B\u007F\u0085\u009B\u00AD\u061C\u2028\u2029\u2060")
            data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(InvisibleCharacters))]
    public void VisibleText_InvisibleCharacter_RendersItsTokenInADistinctStyle_NotTheCharacter(char c)
    {
        var cut = _ctx.Render<VisibleText>(p => p.Add(x => x.Value, $"a{c}b"));
        var token = $"⟨U+{(int)c:X4}⟩";
        Assert.Equal(token, cut.Find("span.invisible-char").TextContent);
        Assert.Equal($"a{token}b", cut.Find("bdi").TextContent);
        if (c is not ('\t' or '\n' or '\r')) Assert.DoesNotContain(c, cut.Markup); // markup may hold formatting whitespace
    }

    [Theory]
    [InlineData("Jordan Lee")]
    [InlineData("Zoë Ångström")]
    [InlineData("שלום עולם")]
    [InlineData("محمد")]
    [InlineData("🙂 emoji pair")]
    [InlineData("東京")]
    public void VisibleText_OrdinaryText_RendersUnchanged(string text)
    {
        var cut = _ctx.Render<VisibleText>(p => p.Add(x => x.Value, text));
        Assert.Empty(cut.FindAll("span.invisible-char"));
        Assert.Equal(text, cut.Find("bdi").TextContent);
    }

    [Fact]
    public void VisibleText_UnpairedSurrogates_AreTokens_APairIsNot()
    {
        Assert.Equal("x⟨U+D800⟩y⟨U+DC00⟩🙂", VisibleText.Escape("x\uD800y\uDC00\uD83D\uDE42"));
    }

    [Fact]
    public async Task ActorTimeline_ActorNameWithRightToLeftOverride_ShowsTheToken_AndTheApiKeepsTheBytes()
    {
        var response = await _client.PostJsonAsync("/api/v1/events", new { actor_id = "user_1", actor_name = Disguised, action = "auth.login", resource = "doc", resource_id = "d\u200B1" });
        var id = (await response.ReadJsonAsync())["id"]!.GetValue<string>();

        var cut = _ctx.Render<ActorTimelinePage>(p => p.Add(x => x.ActorId, "user_1"));
        cut.WaitForAssertion(() => Assert.Contains("Ana⟨U+202E⟩gnp.exe", cut.Find("[data-testid=actor-name]").TextContent, StringComparison.Ordinal));
        Assert.Contains("d⟨U+200B⟩1", cut.Find("[data-testid=timeline-event]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202E', cut.Markup);
        Assert.DoesNotContain('\u200B', cut.Markup);

        var stored = (await _client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(Disguised, stored["actor_name"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal("d\u200B1", stored["resource_id"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    [Fact]
    public async Task TriageAndAlertDetail_ActorReasonAndNoteWithInvisibleCharacters_ShowTokens()
    {
        var alertId = "alt_" + Guid.NewGuid().ToString("D");
        await using (var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            var at = new DateTime(2026, 3, 27, 12, 0, 0, DateTimeKind.Utc);
            db.Alerts.Add(new AlertRecord
            {
                Id = alertId, WorkspaceId = _workspaceId, RuleId = "rul_x", RuleName = "Rule\u2066x", RuleType = RuleType.RepeatedAction,
                Severity = Immutable.Domain.Alerts.Severity.High, Status = AlertStatus.Acknowledged, Reason = $"{Disguised} failed 5 times", GroupKey = Disguised, ActorId = Disguised, Context = "{}",
                RelatedEventIds = "[]", FirstEventAt = at, TriggeredAt = at, LastSeenAt = at, HitCount = 1,
                AcknowledgedAt = at, AcknowledgedBy = "ana@example.com", AcknowledgementNote = "ok\u202Eton",
            });
            await db.SaveChangesAsync();
        }

        _ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/triage?kind=alerts&status=all");
        var triage = _ctx.Render<Triage>();
        triage.WaitForAssertion(() =>
        {
            var row = triage.Find("[data-testid=triage-grid] tbody tr.mud-table-row");
            Assert.Contains("Ana⟨U+202E⟩gnp.exe failed 5 times", row.TextContent, StringComparison.Ordinal);
            Assert.Contains("Rule⟨U+2066⟩x", row.TextContent, StringComparison.Ordinal);
        });
        Assert.DoesNotContain('\u202E', triage.Markup);

        var detail = _ctx.Render<AlertDetail>(p => p.Add(x => x.Id, alertId));
        detail.WaitForAssertion(() => Assert.Contains("ok⟨U+202E⟩ton", detail.Find("[data-testid=alert-ack]").TextContent, StringComparison.Ordinal));
        Assert.Equal("Ana⟨U+202E⟩gnp.exe", detail.Find("[data-testid=alert-actor]").TextContent.Trim());
        Assert.DoesNotContain('\u202E', detail.Markup);
        Assert.DoesNotContain('\u2066', detail.Markup);
    }
}
