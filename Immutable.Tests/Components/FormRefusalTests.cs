using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Monitors;
using Immutable.Web.Components.Pages.Rules;
using Immutable.Web.Components.Pages.Settings;
using Immutable.Web.Detection;
using Immutable.Web.Monitors;
using Immutable.Web.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace Immutable.Tests.Components;

/// <summary>
/// No silent failure in any form, over a real host: Save is never silently disabled; an invalid value is refused with
/// a message next to its field saying what is allowed, and nothing is stored.
/// </summary>
public sealed class FormRefusalTests : DashboardComponentTest
{

    private static bool HasError<T>(IRenderedComponent<T> field) where T : Microsoft.AspNetCore.Components.IComponent =>
        field.Markup.Contains("mud-input-error", StringComparison.Ordinal);

    [Fact]
    public async Task RuleEditor_SaveWithAnEmptyName_ShowsTheMessageAndStoresNothing()
    {
        var page = Ctx.Render<RuleEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-rule]"));
        var save = page.FindComponents<MudButton>().Single(b => b.Markup.Contains("save-rule", StringComparison.Ordinal));
        Assert.False(save.Instance.Disabled);

        await page.Find("[data-testid=save-rule]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("name", page.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal));
        var name = page.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name");
        Assert.True(HasError(name));
        Assert.Contains("must be 1 to 200 characters", name.Markup, StringComparison.Ordinal);
        Assert.Empty(await App.Services.GetRequiredService<AlertRuleService>().ListAsync(Owner.Caller));
    }

    [Fact]
    public async Task MonitorEditor_SaveWithA300CharacterName_ShowsTheLimitAndStoresNothing()
    {
        var page = Ctx.Render<MonitorEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-monitor]"));
        var name = page.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name");
        name.Find("input").Input(new string('m', 300));
        page.WaitForAssertion(() => Assert.Contains("1 to 200 characters", name.Markup, StringComparison.Ordinal));
        await page.Find("[data-testid=save-monitor]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("name", page.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal));
        Assert.Empty(await App.Services.GetRequiredService<MonitorService>().ListAsync(Owner.Caller));
    }

    [Fact]
    public void MonitorEditor_ThresholdsSayGreaterThan_AndATimeframeThatIsNotAMultipleOf10IsRefusedNotRounded()
    {
        var page = Ctx.Render<MonitorEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-monitor]"));
        Assert.All(page.FindComponents<MudNumericField<double>>(), f => Assert.Equal("Greater than", f.Instance.Label));
        Assert.DoesNotContain("≥", page.Markup, StringComparison.Ordinal);
        var timeframe = page.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "Timeframe (minutes)");
        timeframe.Find("input").Input("5");
        page.WaitForAssertion(() => Assert.Contains("multiple of 10", timeframe.Markup, StringComparison.Ordinal));
        Assert.Equal("5", timeframe.Find("input").GetAttribute("value"));
    }

    [Fact]
    public void MonitorEditor_ThresholdsOutOfOrder_SayWhyUnderTheList()
    {
        var page = Ctx.Render<MonitorEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-monitor]"));
        var second = page.FindComponents<MudNumericField<double>>()[1];
        second.Find("input").Input("50"); // below the first level (100)
        page.WaitForAssertion(() => Assert.Contains("must increase strictly", page.Find("[data-testid=thresholds-error]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiKeysPanel_ALabelOverTheLimit_IsRefusedWithAMessage_NotCut()
    {
        var panel = Ctx.Render<ApiKeysPanel>(p => p.Add(x => x.User, Owner));
        var label = panel.FindComponents<MudTextField<string>>().Single();
        label.Find("input").Input(new string('k', ApiKeyService.MaxLabelLength + 1));
        panel.WaitForAssertion(() => Assert.Contains($"at most {ApiKeyService.MaxLabelLength} characters", label.Markup, StringComparison.Ordinal));
        Assert.Equal(ApiKeyService.MaxLabelLength + 1, label.Find("input").GetAttribute("value")!.Length);
        await panel.Find("[data-testid=create-key]").ClickAsync(new());
        Assert.Empty(panel.FindAll("[data-testid=secret-value]"));
        Assert.Single(await App.Services.GetRequiredService<ApiKeyService>().ListAsync(Owner.Caller)); // the fixture's key only
    }

    [Fact]
    public async Task WebhooksPanel_AnEmptyOrNonHttpUrl_IsRefusedNextToTheUrl()
    {
        var panel = Ctx.Render<WebhooksPanel>(p => p.Add(x => x.User, Owner));
        await panel.Find("[data-testid=create-webhook]").ClickAsync(new());
        var url = panel.FindComponents<MudTextField<string>>().Single();
        panel.WaitForAssertion(() => Assert.Contains("is required", url.Markup, StringComparison.Ordinal));
        url.Find("input").Input("ftp://example.com/hook");
        await panel.Find("[data-testid=create-webhook]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.True(HasError(url)));
        Assert.DoesNotContain("is required", url.Markup, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=webhook-endpoint]"));
    }

    [Fact]
    public async Task MembersPanel_ABadEmail_IsRefusedNextToTheEmail()
    {
        await App.Services.GetRequiredService<AccountService>().InviteAsync(WorkspaceId, "ana@example.com", "Ana Owner", Roles.Owner);
        var panel = Ctx.Render<MembersPanel>(p => p.Add(x => x.User, Owner));
        panel.Find("[data-testid=invite-email] input, input[data-testid=invite-email]").Input("not-an-email");
        await panel.Find("[data-testid=invite]").ClickAsync(new());
        var email = panel.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Email");
        panel.WaitForAssertion(() => Assert.Contains("Enter an email address", email.Markup, StringComparison.Ordinal));
        Assert.Empty(panel.FindAll("[data-testid=secret-value]"));
    }

    [Fact]
    public void AccessPanel_AMalformedSchemaPattern_IsNamedNextToTheField()
    {
        var panel = Ctx.Render<AccessPanel>(p => p.Add(x => x.User, Owner));
        var patterns = panel.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Action patterns, one per line");
        patterns.Find("textarea").Input("document.*\nauth..login");
        panel.WaitForAssertion(() => Assert.Contains("“auth..login”: has an empty segment", patterns.Markup, StringComparison.Ordinal));
    }

    // A message once shown must not be lost by typing: MudBlazor clears a field's error on every value change and does
    // not take the form's unchanged Error=true again, so a second invalid value showed nothing, even after Save. Each
    // case types one invalid value, then another, and saves twice.

    private static string Text<T>(IRenderedComponent<T> field) where T : Microsoft.AspNetCore.Components.IComponent =>
        field.Find(".mud-input-helper-text").TextContent;

    [Fact]
    public async Task RetentionPanel_ASecondInvalidWindow_IsRefusedOnTheFieldAgain()
    {
        var panel = Ctx.Render<RetentionPanel>(p => p.Add(x => x.User, Owner));
        var days = () => panel.FindComponents<MudNumericField<int?>>().Single();
        panel.WaitForAssertion(() => Assert.False(days().Instance.Disabled));
        foreach (var value in new[] { "0", "-3" })
        {
            panel.Find("[data-testid=retention-days] input, input[data-testid=retention-days]").Change(value);
            await panel.Find("[data-testid=save-retention]").ClickAsync(new());
            panel.WaitForAssertion(() => Assert.True(HasError(days()), $"{value}: {days().Markup}"));
            Assert.Contains("day", Text(days()), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void IncidentsPanel_ASecondInvalidWindow_KeepsItsMessage_AsTypedAndOnSave()
    {
        var panel = Ctx.Render<IncidentsPanel>(p => p.Add(x => x.User, Owner));
        var window = () => panel.FindComponents<MudNumericField<int?>>().Single();
        panel.WaitForAssertion(() => Assert.Equal(60, window().Instance.GetState(x => x.Value)));
        foreach (var value in new[] { "0", "20000" })
        {
            panel.Find("[data-testid=incident-window] input, input[data-testid=incident-window]").Input(value);
            panel.WaitForAssertion(() => Assert.True(HasError(window()), $"{value} typed: {window().Markup}"));
            Assert.Contains("from 1 to 10080", Text(window()), StringComparison.Ordinal);
            panel.Find("[data-testid=save-incidents]").Click();
            panel.WaitForAssertion(() => Assert.True(HasError(window()), $"{value} saved: {window().Markup}"));
            Assert.Contains("from 1 to 10080", Text(window()), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RuleEditor_ASecondInvalidCooldown_KeepsItsMessage_AsTypedAndOnSave()
    {
        var page = Ctx.Render<RuleEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-rule]"));
        var cooldown = () => page.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "Cooldown (minutes)");
        foreach (var value in new[] { "99999", "-5" })
        {
            cooldown().Find("input").Input(value);
            page.WaitForAssertion(() => Assert.Contains("from 0 to 10080", Text(cooldown()), StringComparison.Ordinal), TimeSpan.FromSeconds(2));
            await page.Find("[data-testid=save-rule]").ClickAsync(new());
            page.WaitForAssertion(() => Assert.True(HasError(cooldown()), $"{value} saved: {cooldown().Markup}"));
            Assert.Contains("from 0 to 10080", Text(cooldown()), StringComparison.Ordinal);
        }
        Assert.Empty(await App.Services.GetRequiredService<AlertRuleService>().ListAsync(Owner.Caller));
    }

    [Fact]
    public async Task MonitorEditor_ASecondInvalidTimeframe_KeepsItsMessage_AsTypedAndOnSave()
    {
        var page = Ctx.Render<MonitorEditor>();
        page.WaitForAssertion(() => page.Find("[data-testid=save-monitor]"));
        var timeframe = () => page.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "Timeframe (minutes)");
        foreach (var value in new[] { "5", "15" })
        {
            timeframe().Find("input").Input(value);
            page.WaitForAssertion(() => Assert.Contains("multiple of 10", Text(timeframe()), StringComparison.Ordinal), TimeSpan.FromSeconds(2));
            await page.Find("[data-testid=save-monitor]").ClickAsync(new());
            page.WaitForAssertion(() => Assert.True(HasError(timeframe()), $"{value} saved: {timeframe().Markup}"));
            Assert.Contains("multiple of 10", Text(timeframe()), StringComparison.Ordinal);
        }
        Assert.Empty(await App.Services.GetRequiredService<MonitorService>().ListAsync(Owner.Caller));
    }

    [Fact]
    public async Task WebhooksPanel_ASecondInvalidUrl_IsRefusedNextToTheUrlAgain()
    {
        var panel = Ctx.Render<WebhooksPanel>(p => p.Add(x => x.User, Owner));
        var url = () => panel.FindComponents<MudTextField<string>>().Single();
        foreach (var value in new[] { "ftp://example.com/hook", "gopher://example.com/hook" })
        {
            url().Find("input").Input(value);
            await panel.Find("[data-testid=create-webhook]").ClickAsync(new());
            panel.WaitForAssertion(() => Assert.True(HasError(url()), $"{value}: {url().Markup}"));
        }
        Assert.Empty(panel.FindAll("[data-testid=webhook-endpoint]"));
    }

    [Fact]
    public async Task ApiKeysPanel_ASecondOverlongLabel_KeepsItsMessage()
    {
        var panel = Ctx.Render<ApiKeysPanel>(p => p.Add(x => x.User, Owner));
        var label = () => panel.FindComponents<MudTextField<string>>().Single();
        foreach (var extra in new[] { 1, 5 })
        {
            label().Find("input").Input(new string('k', ApiKeyService.MaxLabelLength + extra));
            panel.WaitForAssertion(() => Assert.Contains($"at most {ApiKeyService.MaxLabelLength} characters", Text(label()), StringComparison.Ordinal));
            await panel.Find("[data-testid=create-key]").ClickAsync(new());
            panel.WaitForAssertion(() => Assert.Contains($"at most {ApiKeyService.MaxLabelLength} characters", Text(label()), StringComparison.Ordinal));
        }
        Assert.Single(await App.Services.GetRequiredService<ApiKeyService>().ListAsync(Owner.Caller));
    }

    [Fact]
    public async Task MembersPanel_ASecondBadEmail_IsRefusedNextToTheEmailAgain()
    {
        await App.Services.GetRequiredService<AccountService>().InviteAsync(WorkspaceId, "ana@example.com", "Ana Owner", Roles.Owner);
        var panel = Ctx.Render<MembersPanel>(p => p.Add(x => x.User, Owner));
        var email = () => panel.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Email");
        foreach (var value in new[] { "not-an-email", "still not one" })
        {
            panel.Find("[data-testid=invite-email] input, input[data-testid=invite-email]").Input(value);
            await panel.Find("[data-testid=invite]").ClickAsync(new());
            panel.WaitForAssertion(() => Assert.Contains("Enter an email address", Text(email()), StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AccessPanel_ASecondMalformedPattern_KeepsItsMessage()
    {
        var panel = Ctx.Render<AccessPanel>(p => p.Add(x => x.User, Owner));
        var patterns = () => panel.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Action patterns, one per line");
        patterns().Find("textarea").Input("document.*\nauth..login");
        panel.WaitForAssertion(() => Assert.Contains("“auth..login”: has an empty segment", Text(patterns()), StringComparison.Ordinal));
        patterns().Find("textarea").Input("document.*\nauth...login");
        panel.WaitForAssertion(() => Assert.Contains("“auth...login”: has an empty segment", Text(patterns()), StringComparison.Ordinal));
    }
}
