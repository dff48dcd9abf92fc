using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>
/// Stream detection caches a workspace's rule set; with no per-event rule it moves the checkpoint past new events
/// unread. A rule enabled where this instance was not told (another instance, its notice not yet here) must still
/// be seen before events committed after it are skipped.
/// </summary>
[Trait("Postgres", "run")]
public sealed class StaleRuleSetTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task RuleEnabledBehindTheCachesBack_EventsAfterItAreEvaluated_NotSkipped()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var ruleId = await client.CreateRuleAsync("""{"name":"Failed logins","rule_type":"repeated_action","enabled":false,"conditions":{"action_pattern":"auth.login_failed","threshold":3,"window_minutes":10}}""");
        // The worker loads the workspace's rules (none enabled) and caches them.
        await client.IngestAsync(new { actor_id = "mallory", action = "auth.login" });
        await client.SettleAsync(_app);

        // Enabled in the store only, as another instance does before its notice arrives.
        using (var db = _app.OpenStore())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"UPDATE alert_rules SET enabled = TRUE WHERE id = '{ruleId}'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        var at = new DateTime(2026, 3, 27, 10, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = "mallory", action = "auth.login_failed", occurred_at = Iso(at.AddMinutes(i)) });
        await client.SettleAsync(_app);

        var alerts = (await client.GetJsonAsync("/api/v1/alerts?rule_type=repeated_action&limit=10"))["data"]!.AsArray();
        var alert = Assert.Single(alerts);
        Assert.Equal(ruleId, alert!["rule_id"]!.GetValue<string>());
        Assert.Equal("mallory", alert["actor_id"]!.GetValue<string>());
    }
}
