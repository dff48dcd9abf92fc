using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Settings;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace Immutable.Tests.Components;

/// <summary>
/// Settings → Access &amp; schema and Viewer &amp; streams: the panels save through the same services as the API, so a
/// change made there is validated, takes effect on the API and is recorded in the chain by the member.
/// </summary>
public sealed class WorkspaceSettingsPanelTests : DashboardComponentTest
{
    protected override ImmutableAppFactory CreateApp() => new ImmutableAppFactory().With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Client.DefaultRequestHeaders.Add("X-Test-Peer", "203.0.113.7"); // inside the allow-list the first test saves
    }

    [Fact]
    public async Task AccessPanel_SavesTheAllowlistAndSchema_ShowsViolations_AndAuditsAsTheMember()
    {
        var panel = Ctx.Render<AccessPanel>(p => p.Add(x => x.User, Owner));
        panel.Find("textarea[data-testid=ip-allowlist], [data-testid=ip-allowlist] textarea").Change("203.0.113.0/24\n10.1");
        panel.Find("[data-testid=save-ip-allowlist]").Click();
        // The service's message is shown on the field, naming the line it is about.
        panel.WaitForAssertion(() => Assert.Contains("“10.1”: must be an IPv4 or IPv6 address", panel.FindComponents<MudTextField<string>>().Single(f => f.Instance.Label == "Addresses and CIDRs, one per line").Markup, StringComparison.Ordinal));

        panel.Find("textarea[data-testid=ip-allowlist], [data-testid=ip-allowlist] textarea").Change("203.0.113.0/24\n127.0.0.1");
        panel.Find("[data-testid=save-ip-allowlist]").Click();
        panel.WaitForAssertion(() => Assert.DoesNotContain("mud-input-error", panel.FindComponents<MudTextField<string>>().Single(f => f.Instance.Label == "Addresses and CIDRs, one per line").Markup, StringComparison.Ordinal));

        panel.Find("textarea[data-testid=schema-patterns], [data-testid=schema-patterns] textarea").Input("document.*");
        panel.Find("[data-testid=save-schema]").Click();
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid=schema-error]")));

        var settings = (await Client.GetJsonAsync("/api/v1/settings"))["data"]!;
        Assert.Equal(["203.0.113.0/24", "127.0.0.1"], settings["ip_allowlist"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(["document.*"], settings["event_schema"]!["patterns"]!.AsArray().Select(e => e!.GetValue<string>()));
        var audit = (await Client.GetJsonAsync("/api/v1/events?action=workspace.*"))["data"]!.AsArray();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal("user:ana@example.com", e!["actor_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task StreamsPanel_SavesOrigins_AndAddsAStreamShowingItsSecretOnce()
    {
        var panel = Ctx.Render<StreamsPanel>(p => p.Add(x => x.User, Owner));
        panel.Find("textarea[data-testid=frame-ancestors], [data-testid=frame-ancestors] textarea").Change("https://app.example.com");
        panel.Find("[data-testid=save-viewer]").Click();
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid=viewer-error]")));

        panel.Find("input[data-testid=stream-url], [data-testid=stream-url] input").Input("http://127.0.0.1:9/hook");
        panel.Find("[data-testid=create-stream]").Click();
        panel.WaitForAssertion(() => Assert.StartsWith("whsec_", panel.Find("[data-testid=secret-value]").TextContent.Trim(), StringComparison.Ordinal));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=log-stream]")));

        Assert.Equal(["https://app.example.com"], (await Client.GetJsonAsync("/api/v1/settings"))["data"]!["viewer"]!["frame_ancestors"]!.AsArray().Select(e => e!.GetValue<string>()));
        var stream = Assert.Single((await Client.GetJsonAsync("/api/v1/log-streams"))["data"]!.AsArray())!;
        Assert.Equal("http://127.0.0.1:9/hook", stream["url"]!.GetValue<string>());
        Assert.Single((await Client.GetJsonAsync("/api/v1/events?action=log_stream.created"))["data"]!.AsArray());
    }

    [Fact]
    public async Task IncidentsPanel_SavesTheGrouping_RefusesAWindowOutOfRangeOnTheField_WithoutClamping()
    {
        var panel = Ctx.Render<IncidentsPanel>(p => p.Add(x => x.User, Owner));
        var window = () => panel.FindComponents<MudNumericField<int?>>().Single();
        panel.WaitForAssertion(() => Assert.Equal(60, window().Instance.GetState(x => x.Value)));
        Assert.Equal("actor", panel.FindComponent<MudSelect<string>>().Instance.GetState(x => x.Value));

        // Out of range: said on the field as typed and again on Save; the value stays as typed (MudNumericField is given no
        // Max to clamp to), nothing is stored.
        panel.Find("[data-testid=incident-window] input, input[data-testid=incident-window]").Input("20000");
        panel.WaitForAssertion(() => Assert.Contains("must be a whole number of minutes from 1 to 10080 (7 days)", window().Markup, StringComparison.Ordinal));
        panel.Find("[data-testid=save-incidents]").Click();
        panel.WaitForAssertion(() => Assert.Contains("from 1 to 10080", window().Markup, StringComparison.Ordinal));
        Assert.Equal(20000, window().Instance.GetState(x => x.Value));
        Assert.Empty(panel.FindAll("[data-testid=incidents-error]"));
        Assert.Equal(60, (await Client.GetJsonAsync("/api/v1/settings"))["data"]!["incidents"]!["window_minutes"]!.GetValue<int>());

        var select = panel.FindComponent<MudSelect<string>>();
        await panel.InvokeAsync(() => select.Instance.SelectOption("session"));
        panel.Find("[data-testid=incident-window] input, input[data-testid=incident-window]").Input("120");
        panel.WaitForAssertion(() => Assert.DoesNotContain("mud-input-error", window().Markup, StringComparison.Ordinal));
        panel.Find("[data-testid=save-incidents]").Click();

        // The API sees it, and the change is in the chain by the member.
        await WaitForAsync(async () => (await Client.GetJsonAsync("/api/v1/settings"))["data"]!["incidents"]!["window_minutes"]!.GetValue<int>() == 120);
        var incidents = (await Client.GetJsonAsync("/api/v1/settings"))["data"]!["incidents"]!;
        Assert.Equal("session", incidents["group_by"]!.GetValue<string>());
        var audit = Assert.Single((await Client.GetJsonAsync("/api/v1/events?action=workspace.incidents_updated"))["data"]!.AsArray())!;
        Assert.Equal("user:ana@example.com", audit["actor_id"]!.GetValue<string>());

        // An analyst sees the grouping and has nothing to change it with.
        var analyst = Ctx.Render<IncidentsPanel>(p => p.Add(x => x.User, Owner with { Role = Roles.Analyst }));
        analyst.WaitForAssertion(() => Assert.Equal(120, analyst.FindComponents<MudNumericField<int?>>().Single().Instance.GetState(x => x.Value)));
        Assert.Empty(analyst.FindAll("[data-testid=save-incidents]"));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++) await Task.Delay(50);
        Assert.True(await condition());
    }
}
