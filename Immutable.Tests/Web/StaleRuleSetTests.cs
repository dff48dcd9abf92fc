using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task NoPerEventRule_ACallMovesTheCheckpointOnceToTheHead_CountingTheEventsItSkipped()
    {
        // The worker off, so only this test moves the checkpoint.
        using var app = new ImmutableAppFactory().With("Detection:StreamEvaluation", "false");
        var key = await app.CreateKeyAsync("quiet");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = "mallory", action = "auth.login" });
        var evaluator = app.Services.GetRequiredService<Immutable.Web.Detection.StreamEvaluator>();
        using var db = app.OpenStore();
        long Scalar(string sql)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        var head = Scalar($"SELECT MAX(sequence) FROM events WHERE workspace_id = '{key.WorkspaceId}'");
        Assert.True(head >= 3);

        // Counted as handled (so the worker's batch window follows), then nothing left to move.
        Assert.Equal(head, await evaluator.ProcessAsync(key.WorkspaceId, CancellationToken.None));
        Assert.Equal(0, await evaluator.ProcessAsync(key.WorkspaceId, CancellationToken.None));
        await client.IngestAsync(new { actor_id = "mallory", action = "auth.login" });
        Assert.Equal(1, await evaluator.ProcessAsync(key.WorkspaceId, CancellationToken.None));
        Assert.Equal(head + 1, Scalar($"SELECT last_sequence FROM detection_checkpoints WHERE workspace_id = '{key.WorkspaceId}'"));
    }
}
