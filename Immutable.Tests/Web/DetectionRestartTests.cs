using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>Crash/restart safety of stream detection: hosts stopped and started over one SQLite file.</summary>
public sealed class DetectionRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-restart-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private ImmutableAppFactory Host(bool detection = true) =>
        new ImmutableAppFactory(_data).With("Detection:StreamEvaluation", detection ? "true" : "false");

    private static long Count(ImmutableAppFactory app, string sql)
    {
        using var db = app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task HostStoppedBetweenCommitAndEvaluation_NextHostEvaluatesEveryEventExactlyOnce()
    {
        string key;
        using (var first = Host(detection: false))
        {
            var created = await first.CreateKeyAsync("acme");
            key = created.Key;
            var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");
            await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
            await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
            // Committed, never evaluated: this host stops here.
            Assert.Equal(0, Count(first, "SELECT COUNT(*) FROM alerts"));
            Assert.Equal(0, Count(first, "SELECT COUNT(*) FROM detection_checkpoints"));
        }

        using (var second = Host())
        {
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var alert = Assert.Single(await client.WaitForAlertsAsync("rule_type=new_country", 1))!;
            Assert.Equal("RO", alert["context"]!["new_country"]!.GetValue<string>());
            await client.SettleAsync(second);
        }

        using (var third = Host())
        {
            var client = third.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            // A restart must not make a known country look new, nor re-raise the old alert.
            await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
            await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
            await client.SettleAsync(third);
            Assert.Equal(1, Count(third, "SELECT COUNT(*) FROM alerts"));
            Assert.Equal(2, Count(third, "SELECT COUNT(*) FROM rule_actor_countries"));
        }
    }

    [Fact]
    public async Task SlidingWindows_AreRebuiltFromTheStoreAfterARestart()
    {
        string key;
        using (var first = Host())
        {
            key = (await first.CreateKeyAsync("acme")).Key;
            var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.CreateRuleAsync("""{"name":"Brute force","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":5,"window_minutes":10,"group_by":"metadata.attempted_email"}}""");
            for (var i = 0; i < 3; i++)
                await client.IngestAsync(new { actor_id = "unknown", action = "auth.login_failed", occurred_at = $"2026-03-27T13:5{i}:00Z", metadata = new { attempted_email = "a@b.io" } });
            await client.SettleAsync(first);
        }
        using (var second = Host())
        {
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            for (var i = 3; i < 5; i++)
                await client.IngestAsync(new { actor_id = "unknown", action = "auth.login_failed", occurred_at = $"2026-03-27T13:5{i}:00Z", metadata = new { attempted_email = "a@b.io" } });
            var alert = Assert.Single(await client.WaitForAlertsAsync("rule_type=repeated_action", 1))!;
            Assert.Equal(5, alert["context"]!["count"]!.GetValue<int>());
        }
    }
}
