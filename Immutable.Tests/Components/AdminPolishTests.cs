using System.Text.Json.Nodes;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Monitors;
using Immutable.Web.Components.Pages.Overview;
using Immutable.Web.Components.Pages.Rules;
using Immutable.Web.Components.Pages.Settings;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Immutable.Tests.Components;

/// <summary>Admin screens over a real host: confirmed deletes and revocations, last use of keys, honest warnings.</summary>
public sealed class AdminPolishTests : DashboardComponentTest
{
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _dialogs = Ctx.Render<MudDialogProvider>();
    }

    /// <summary>Clicks the button of the open confirmation dialog with this text.</summary>
    private async Task AnswerDialogAsync(string buttonText)
    {
        var provider = _dialogs;
        provider.WaitForAssertion(() => Assert.Contains(provider.FindAll("button"), b => b.TextContent.Contains(buttonText, StringComparison.Ordinal)));
        await provider.FindAll("button").First(b => b.TextContent.Contains(buttonText, StringComparison.Ordinal)).ClickAsync(new());
        provider.WaitForAssertion(() => Assert.DoesNotContain(provider.FindAll("button"), b => b.TextContent.Contains(buttonText, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RulesPage_DeleteAfterConfirmation_RemovesTheRule_KeepsItsAlerts_AndAuditsTheMember()
    {
        var ruleId = await Client.CreateRuleAsync("""{"name":"Every login","rule_type":"off_hours","conditions":{"action_pattern":"auth.login","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""");
        await Client.IngestAsync(new { actor_id = "alice", action = "auth.login" });
        var alertId = (await Client.WaitForAlertsAsync($"rule_id={ruleId}", 1))[0]!["id"]!.GetValue<string>();

        var page = Ctx.Render<Rules>();
        page.WaitForAssertion(() => Assert.Contains("Off hours", page.Find("[data-testid=rules-table]").TextContent, StringComparison.Ordinal)); // readable type name

        var click = page.Find("[data-testid=delete-rule]").ClickAsync(new()); // completes when the dialog is answered
        await AnswerDialogAsync("Cancel");
        await click;
        Assert.Single((await Client.GetJsonAsync("/api/v1/alert-rules"))["data"]!.AsArray());

        click = page.Find("[data-testid=delete-rule]").ClickAsync(new());
        await AnswerDialogAsync("Delete rule");
        await click;
        page.WaitForAssertion(() => page.Find("[data-testid=rules-empty]"));

        await Client.GetJsonAsync($"/api/v1/alert-rules/{ruleId}", System.Net.HttpStatusCode.NotFound);
        Assert.Equal(ruleId, (await Client.GetJsonAsync($"/api/v1/alerts/{alertId}"))["data"]!["rule_id"]!.GetValue<string>());
        var deleted = (await Client.GetJsonAsync("/api/v1/events?action=alert_rule.deleted"))["data"]!.AsArray();
        Assert.Equal(("user:ana@example.com", ruleId), (deleted.Single()!["actor_id"]!.GetValue<string>(), deleted.Single()!["resource_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task MonitorsPage_DeleteAfterConfirmation_RemovesTheMonitor_AndAuditsTheMember()
    {
        var created = await Client.PostJsonAsync("/api/v1/monitors", """{"name":"Bulk reads","metric":"rows_accessed","timeframe_minutes":60,"thresholds":[{"value":1000,"severity":"high"}]}""");
        var monitorId = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();
        var page = Ctx.Render<MonitorsPage>();
        page.WaitForAssertion(() => Assert.Contains("> 1000", page.Find("[data-testid=monitors-table]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("≥", page.Markup, StringComparison.Ordinal);

        var click = page.Find("[data-testid=delete-monitor]").ClickAsync(new());
        await AnswerDialogAsync("Delete monitor");
        await click;
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=monitors-table]")));
        await Client.GetJsonAsync($"/api/v1/monitors/{monitorId}", System.Net.HttpStatusCode.NotFound);
        var deleted = (await Client.GetJsonAsync("/api/v1/events?action=monitor.deleted"))["data"]!.AsArray();
        Assert.Equal("user:ana@example.com", deleted.Single()!["actor_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiKeysPanel_RevokeAsksFirst_AndShowsWhenEachKeyWasLastUsed()
    {
        var unused = (await App.Services.GetRequiredService<ApiKeyService>().CreateAsync(Owner.Caller, "never-used")).Value!;
        await Client.GetJsonAsync("/api/v1/alerts"); // the fixture's key authenticates a request
        using (var db = App.OpenDatabase())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL";
            Assert.Equal(0L, (long)cmd.ExecuteScalar()!); // not written on the request path
        }
        Assert.Equal(1, await App.Services.GetRequiredService<KeyUsage>().FlushAsync());
        Assert.Equal(0, await App.Services.GetRequiredService<KeyUsage>().FlushAsync()); // nothing new: no write

        var panel = Ctx.Render<ApiKeysPanel>(p => p.Add(x => x.User, Owner));
        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("[data-testid=keys-table] tbody tr").Count));
        string Row(string label) => panel.FindAll("[data-testid=keys-table] tbody tr").Single(r => r.TextContent.Contains(label, StringComparison.Ordinal)).QuerySelector("[data-testid=key-last-used]")!.TextContent;
        Assert.Equal("never", Row("never-used"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", Row("test"));

        IEnumerable<AngleSharp.Dom.IElement> RevokeButtons() => panel.FindAll("[data-testid=keys-table] tbody tr").Where(r => r.TextContent.Contains("never-used", StringComparison.Ordinal)).Select(r => r.QuerySelector("[data-testid=revoke-key]")!);
        var click = RevokeButtons().Single().ClickAsync(new());
        await AnswerDialogAsync("Cancel");
        await click;
        Assert.Null((await App.Services.GetRequiredService<ApiKeyService>().ListAsync(Owner.Caller)).Single(k => k.Prefix == unused.Prefix).RevokedAt);

        click = RevokeButtons().Single().ClickAsync(new());
        await AnswerDialogAsync("Revoke key");
        await click;
        panel.WaitForAssertion(() => Assert.Contains("revoked", panel.FindAll("[data-testid=keys-table] tbody tr").Single(r => r.TextContent.Contains("never-used", StringComparison.Ordinal)).TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RulesPage_WarnsWhenEmailIsDisabledOrNoWebhookEndpointTakesAlerts()
    {
        await Client.CreateRuleAsync("""{"name":"Mailed","rule_type":"new_country","channels":["email"]}""");
        await Client.CreateRuleAsync("""{"name":"Hooked","rule_type":"new_country","channels":["webhook"]}""");
        var page = Ctx.Render<Rules>();
        page.WaitForAssertion(() => Assert.Contains("“Mailed”", page.Find("[data-testid=email-disabled-warning]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("Hooked", page.Find("[data-testid=email-disabled-warning]").TextContent, StringComparison.Ordinal);
        Assert.Contains("“Hooked”", page.Find("[data-testid=webhook-missing-warning]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_SaysThereAreNoEndpoints_AndCountsAuditActorsApartFromApplicationActors()
    {
        await Client.IngestAsync(new { actor_id = "alice", action = "doc.read" });
        await Client.CreateRuleAsync("""{"name":"Logins","rule_type":"new_country"}"""); // audited as api_key:…
        var page = Ctx.Render<Overview>();
        page.WaitForAssertion(() => page.Find("[data-testid=no-endpoints]"));
        Assert.DoesNotContain("healthy", page.Find("[data-testid=delivery-health]").TextContent, StringComparison.Ordinal);
        var audit = page.Find("[data-testid=top-audit-actors]").TextContent;
        Assert.Contains("api_key:", audit, StringComparison.Ordinal);
        var actors = page.Find("[data-testid=top-actors]").TextContent.Replace(audit, "", StringComparison.Ordinal);
        Assert.Contains("alice", actors, StringComparison.Ordinal);
        Assert.DoesNotContain("api_key:", actors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dark", "light")]
    [InlineData(null, "dark")] // nothing saved: the system's preference (light here), and the toggle saves the choice
    public async Task Layout_StartsFromTheSavedTheme_AndTheToggleSavesTheChoice(string? saved, string afterToggle)
    {
        await using var ctx = DashboardComponentContext.Create(App.Services, Key.WorkspaceId);
        ctx.JSInterop.Setup<string?>("localStorage.getItem", "immutable.theme").SetResult(saved);
        var layout = ctx.Render<Immutable.Web.Components.Layout.MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page"))));
        layout.WaitForAssertion(() => Assert.NotEmpty(ctx.JSInterop.Invocations["localStorage.getItem"]));
        await layout.Find("[data-testid=theme-toggle]").ClickAsync(new());
        layout.WaitForAssertion(() => Assert.Equal(["immutable.theme", afterToggle], ctx.JSInterop.Invocations["localStorage.setItem"].Single().Arguments.Select(a => (string?)a)));
    }

    [Fact]
    public void SettingsPage_OpensTheTabNamedInTheUrl_AndPutsTheChosenTabThere()
    {
        var nav = Ctx.Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo("/settings?tab=webhooks");
        var page = Ctx.Render<Settings>();
        page.WaitForAssertion(() => page.Find("[data-testid=webhook-url]"));
        page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Members").Click();
        page.WaitForAssertion(() => Assert.EndsWith("/settings?tab=members", nav.Uri, StringComparison.Ordinal));
        page.WaitForAssertion(() => page.Find("[data-testid=invite-email]"));
    }
}
