using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>The dry run and the live path agree, because they share noise control and tell rules apart by id.</summary>
[Trait("Postgres", "run")]
public sealed class DryRunCorrelationTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task CorrelationOfTwoRepeatedActionRules_FiresInTheDryRunExactlyAsLive()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var failures = await client.CreateRuleAsync("""{"name":"Failed logins","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":3,"window_minutes":10}}""");
        var downloads = await client.CreateRuleAsync("""{"name":"Bulk downloads","rule_type":"repeated_action","conditions":{"action_pattern":"file.downloaded","threshold":3,"window_minutes":10}}""");
        var correlation = await client.CreateRuleAsync($$$"""{"name":"Takeover then exfiltration","rule_type":"correlation","conditions":{"rule_ids":["{{{failures}}}","{{{downloads}}}"],"window_minutes":60}}""");

        var at = new DateTime(2026, 3, 27, 10, 0, 0, DateTimeKind.Utc);
        foreach (var actor in new[] { "mallory", "trent" })
        {
            for (var i = 0; i < 4; i++) await client.IngestAsync(new { actor_id = actor, action = "auth.login_failed", occurred_at = Iso(at.AddMinutes(i)) });
            // trent only fails to log in: one of the two rules, so no escalation for him.
            if (actor == "mallory")
                for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = actor, action = "file.downloaded", occurred_at = Iso(at.AddMinutes(10 + i)) });
        }
        await client.SettleAsync(_app);
        var live = (await client.GetJsonAsync("/api/v1/alerts?rule_type=correlation&limit=100"))["data"]!.AsArray();
        Assert.Single(live);

        var response = await client.PostJsonAsync("/api/v1/alert-rules/test", $$$"""{"rule_id":"{{{correlation}}}"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var dryRun = (await response.ReadJsonAsync())["data"]!["alerts"]!.AsArray();

        static string Shape(JsonNode a) => string.Join(" | ",
            a["rule_type"], a["severity"], a["reason"], a["actor_id"], a["group_key"], a["event_id"], a["hit_count"],
            string.Join(",", a["context"]!["alerts"]!.AsArray().Select(c => c!["rule_id"]!.GetValue<string>())));
        Assert.Equal(live.Select(a => Shape(a!)), dryRun.Select(a => Shape(a!)));
        Assert.Contains($"{failures},{downloads}", Shape(dryRun[0]!), StringComparison.Ordinal);
    }
}
