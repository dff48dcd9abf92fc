using System.Text.Json.Nodes;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Pages.Settings;
using Immutable.Web.Delivery.Email;
using Immutable.Web.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Immutable.Tests.Components;

/// <summary>
/// Keys and members are changed from the settings page through the same application services as any other caller:
/// the page's click and the service's call leave the same audit record in the workspace's chain, and a role that
/// may not change them is refused by the service, not only by hidden buttons.
/// </summary>
public sealed class SettingsAuditTests : DashboardComponentTest
{
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _dialogs = Ctx.Render<MudDialogProvider>();
    }

    /// <summary>The audit records of one action, newest first, without what differs per call (ids, times, hashes).</summary>
    private async Task<List<JsonObject>> AuditAsync(string action) =>
        (await Client.GetJsonAsync($"/api/v1/events?action={action}"))["data"]!.AsArray()
            .Select(e => new JsonObject
            {
                ["actor"] = e!["actor"]!.DeepClone(), ["action"] = e["action"]!.DeepClone(), ["action_category"] = e["action_category"]!.DeepClone(),
                ["resource_type"] = e["resource"]?["type"]?.DeepClone(), ["metadata_keys"] = string.Join(",", e["metadata"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)),
            }).ToList();

    [Fact]
    public async Task Creating_and_revoking_a_key_in_the_page_audits_like_the_service()
    {
        var panel = Ctx.Render<ApiKeysPanel>(p => p.Add(x => x.User, Owner));
        panel.Find("[data-testid=key-label] input, input[data-testid=key-label]").Input("billing-service");
        panel.Find("[data-testid=create-key]").Click();
        panel.WaitForAssertion(() => Assert.StartsWith("imk_", panel.Find("[data-testid=secret-value]").TextContent.Trim(), StringComparison.Ordinal));
        var pageKey = panel.Find("[data-testid=secret-value]").TextContent.Trim();

        var keys = App.Services.GetRequiredService<ApiKeyService>();
        var serviceKey = (await keys.CreateAsync(Owner.Caller, "reporting")).Value!;

        var created = await AuditAsync("api_key.created");
        Assert.Equal(2, created.Count);
        Assert.True(JsonNode.DeepEquals(created[0], created[1]), $"{created[0]} vs {created[1]}");
        Assert.Equal("user:ana@example.com", created[0]["actor"]!["id"]!.GetValue<string>());
        var createdRecords = (await Client.GetJsonAsync("/api/v1/events?action=api_key.created"))["data"]!.AsArray();
        Assert.Contains(createdRecords, e => pageKey.StartsWith(e!["resource_id"]!.GetValue<string>(), StringComparison.Ordinal) && e["resource_name"]!.GetValue<string>() == "billing-service");
        Assert.Contains(createdRecords, e => e!["resource_id"]!.GetValue<string>() == serviceKey.Prefix && e["resource_name"]!.GetValue<string>() == "reporting");

        // Revoke the page's key in the page, the service's key through the service: one record shape again.
        panel = Ctx.Render<ApiKeysPanel>(p => p.Add(x => x.User, Owner));
        panel.WaitForAssertion(() => Assert.Equal(3, panel.FindAll("[data-testid=keys-table] tbody tr").Count));
        var row = panel.FindAll("[data-testid=keys-table] tbody tr").Single(r => r.TextContent.Contains("billing-service", StringComparison.Ordinal));
        row.QuerySelector("button")!.Click();
        // Revoking asks first (the application using the key stops working).
        _dialogs.WaitForAssertion(() => Assert.Contains(_dialogs.FindAll("button"), b => b.TextContent.Contains("Revoke key", StringComparison.Ordinal)));
        _dialogs.FindAll("button").First(b => b.TextContent.Contains("Revoke key", StringComparison.Ordinal)).Click();
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=keys-table] tbody tr"), r => r.TextContent.Contains("revoked", StringComparison.Ordinal)));
        Assert.True((await keys.RevokeAsync(Owner.Caller, serviceKey.Prefix)).Succeeded);

        var revoked = await AuditAsync("api_key.revoked");
        Assert.Equal(2, revoked.Count);
        Assert.True(JsonNode.DeepEquals(revoked[0], revoked[1]), $"{revoked[0]} vs {revoked[1]}");
        using var revokedClient = App.CreateClient();
        revokedClient.DefaultRequestHeaders.Authorization = new("Bearer", pageKey);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await revokedClient.GetAsync("/api/v1/alerts")).StatusCode);
    }

    [Fact]
    public async Task Inviting_and_changing_a_member_in_the_page_audits_like_the_service()
    {
        var accounts = App.Services.GetRequiredService<AccountService>();
        await accounts.InviteAsync(WorkspaceId, "ana@example.com", "Ana Owner", Roles.Owner);
        var panel = Ctx.Render<MembersPanel>(p => p.Add(x => x.User, Owner));
        panel.Find("[data-testid=invite-email] input, input[data-testid=invite-email]").Input("bo@example.com");
        panel.Find("[data-testid=invite]").Click();
        panel.WaitForAssertion(() => Assert.Contains("/account/setup?token=", panel.Find("[data-testid=secret-value]").TextContent, StringComparison.Ordinal));

        var members = App.Services.GetRequiredService<MemberService>();
        Assert.True((await members.InviteAsync(Owner.Caller, "cy@example.com", null, Roles.Analyst)).Succeeded);
        var invited = await AuditAsync("member.invited");
        Assert.Equal(2, invited.Count);
        Assert.True(JsonNode.DeepEquals(invited[0], invited[1]), $"{invited[0]} vs {invited[1]}");

        Assert.True((await members.ChangeRoleAsync(Owner.Caller, "cy@example.com", Roles.Admin)).Succeeded);
        Assert.True((await members.RemoveAsync(Owner.Caller, "bo@example.com")).Succeeded);
        var changes = (await Client.GetJsonAsync("/api/v1/events?action=member.role_changed"))["data"]!.AsArray();
        Assert.Equal(("analyst", "admin"), (changes[0]!["metadata"]!["before"]!.GetValue<string>(), changes[0]!["metadata"]!["after"]!.GetValue<string>()));
        Assert.Single((await Client.GetJsonAsync("/api/v1/events?action=member.removed"))["data"]!.AsArray());

        // The last owner stays: refused with the reason, nothing audited.
        var lastOwner = await members.ChangeRoleAsync(Owner.Caller, "ana@example.com", Roles.Analyst);
        Assert.Equal(409, lastOwner.Problem?.Status);
        Assert.Single((await Client.GetJsonAsync("/api/v1/events?action=member.role_changed"))["data"]!.AsArray());
    }

    [Fact]
    public async Task An_analyst_cannot_manage_keys_members_or_email_even_by_calling_the_services()
    {
        var analyst = (Owner with { Role = Roles.Analyst }).Caller;
        Assert.Equal(403, (await App.Services.GetRequiredService<ApiKeyService>().CreateAsync(analyst, "sneaky")).Problem?.Status);
        Assert.Equal(403, (await App.Services.GetRequiredService<MemberService>().InviteAsync(analyst, "eve@example.com", null, Roles.Owner)).Problem?.Status);
        Assert.Equal(403, (await App.Services.GetRequiredService<EmailTestService>().SendTestAsync(analyst, null)).Problem?.Status);
        var admin = (Owner with { Role = Roles.Admin }).Caller;
        Assert.Equal(403, (await App.Services.GetRequiredService<MemberService>().InviteAsync(admin, "eve@example.com", null, Roles.Owner)).Problem?.Status);

        foreach (var action in new[] { "api_key.created", "member.invited", "email.test_sent" })
            Assert.Empty((await Client.GetJsonAsync($"/api/v1/events?action={action}"))["data"]!.AsArray());
    }
}
