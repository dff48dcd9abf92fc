using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Integrity;
using Immutable.Web.Components.Pages.Overview;
using Immutable.Web.Integrity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Immutable.Tests.Components;

/// <summary>The Integrity page over a real store: checkpoints, anchors with their witnesses, who verified, and the overview card on a break.</summary>
public sealed class IntegrityPageTests : DashboardComponentTest
{
    protected override ImmutableAppFactory CreateApp() => new ImmutableAppFactory().With("Integrity:AnchorPeriodMinutes", "60");

    private async Task SeedAsync()
    {
        for (var i = 0; i < 4; i++) await Client.IngestAsync(new { actor_id = "u", action = "doc.read" });
        App.Time.Advance(TimeSpan.FromHours(2));
        Assert.Single(await App.Services.GetRequiredService<AnchorWriter>().AnchorDueAsync(WorkspaceId, CancellationToken.None));
        await App.CheckpointHeadAsync(WorkspaceId);
    }

    [Fact]
    public async Task IntegrityPage_ShowsCheckpointsAnchorsAndWhoVerified()
    {
        await SeedAsync();
        var page = Ctx.Render<IntegrityPage>();
        page.WaitForAssertion(() => Assert.Contains("1–4", page.Find("[data-testid=checkpoints]").TextContent));
        var anchors = page.Find("[data-testid=anchors]");
        Assert.Contains("1–4", anchors.TextContent);
        Assert.Contains("Proof bundle", anchors.TextContent);
        Assert.Contains("/integrity/bundle?anchor=anc_", anchors.InnerHtml);
        Assert.Contains("not been verified", page.Find("[data-testid=verifications]").TextContent);

        await page.Find("[data-testid=verify]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("Intact", page.Find("[data-testid=verify-result]").TextContent));
        Assert.Contains("1 anchor(s)", page.Find("[data-testid=verify-result]").TextContent);
        page.WaitForAssertion(() => Assert.Contains("user:ana@example.com", page.Find("[data-testid=verifications]").TextContent));
    }

    [Fact]
    public async Task OverviewCard_TurnsRed_AfterAVerificationFindsABreak()
    {
        await SeedAsync();
        using (var db = App.OpenDatabase())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "DELETE FROM events WHERE sequence = 4";
            cmd.ExecuteNonQuery();
        }
        var v = (await Client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.False(v["valid"]!.GetValue<bool>());

        var overview = Ctx.Render<Overview>();
        overview.WaitForAssertion(() => Assert.Contains("integrity-broken", overview.Find("[data-testid=integrity-status]").ClassName));
        Assert.Contains("truncated at sequence 4", overview.Find("[data-testid=integrity-last]").TextContent);
    }
}
