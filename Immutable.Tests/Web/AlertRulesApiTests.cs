using System.Net;
using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

[Trait("Postgres", "run")]
public class AlertRulesApiTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private Task<HttpClient> NewWorkspaceAsync() => app.CreateWorkspaceClientAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);

    public static TheoryData<string, string, string> InvalidRules => new()
    {
        { """{"rule_type":"new_country"}""", "name", "is required" },
        { """{"name":"x","rule_type":"brute_force"}""", "rule_type", "must be one of" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"timezone":"Mars/Olympus_Mons"}}""", "conditions.timezone", "not a known IANA time zone" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"start_hour":24}}""", "conditions.start_hour", "from 0 to 23" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"end_hour":-1}}""", "conditions.end_hour", "from 0 to 23" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"days":["funday"]}}""", "conditions.days[0]", "weekday" },
        { """{"name":"x","rule_type":"repeated_action","conditions":{"threshold":0}}""", "conditions.threshold", "from 1" },
        { """{"name":"x","rule_type":"repeated_action","conditions":{"window_minutes":0}}""", "conditions.window_minutes", "from 1" },
        { """{"name":"x","rule_type":"repeated_action","conditions":{"group_by":"metadata."}}""", "conditions.group_by", "metadata.<key>" },
        { """{"name":"x","rule_type":"high_volume_destructive","conditions":{"threshold":0.5}}""", "conditions.threshold", "integer" },
        { """{"name":"x","rule_type":"ingestion_spike","conditions":{"multiplier":0.5}}""", "conditions.multiplier", "greater than 1" },
        { """{"name":"x","rule_type":"correlation","conditions":{"rule_ids":["rul_only_one"]}}""", "conditions.rule_ids", "at least 2" },
        { """{"name":"x","rule_type":"correlation","conditions":{"rule_ids":["rul_a","rul_b"]}}""", "conditions.rule_ids[0]", "no rule rul_a" },
        { """{"name":"x","rule_type":"impossible_travel","conditions":{"max_speed_kmh":0}}""", "conditions.max_speed_kmh", "greater than 0" },
        { """{"name":"x","rule_type":"new_country","conditions":{"treshold":5}}""", "conditions.treshold", "is not a condition of new_country" },
        { """{"name":"x","rule_type":"new_country","severity":"urgent"}""", "severity", "info, low, medium, high, critical" },
        { """{"name":"x","rule_type":"new_country","channels":["sms"]}""", "channels[0]", "email" },
        { """{"name":"x","rule_type":"new_country","conditions":{"action_pattern":[]}}""", "conditions.action_pattern", "at least one" },
        { """{"name":"x","rule_type":"new_country","conditions":{"action_patterns":["auth.login","auth..login"]}}""", "conditions.action_patterns[1]", "empty segment" },
        { """{"name":"x","rule_type":"new_country","conditions":{"action_patterns":["***"]}}""", "conditions.action_patterns[0]", "'**'" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"action_pattern":"a b"}}""", "conditions.action_pattern", "a space" },
        { """{"name":"x","rule_type":"high_volume_destructive","conditions":{"action_patterns":[".deleted"]}}""", "conditions.action_patterns[0]", "dot-separated segments" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"start_hour":25}}""", "conditions.start_hour", "from 0 to 23" },
        { """{"name":"x","rule_type":"off_hours","conditions":{"timezone":"America/New_Yrok"}}""", "conditions.timezone", "not a known IANA time zone" },
        { """{"name":"x","rule_type":"new_country","cooldown_minutes":99999}""", "cooldown_minutes", "from 0 to 10080" },
    };

    [Fact]
    public async Task Create_WithThePatternsExistingClientsSend_IsAccepted()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/alert-rules", """{"name":"x","rule_type":"high_volume_destructive","conditions":{"action_patterns":["*.deleted","auth.*","project.forceDeleted","auth.login_*","*"]}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Update_WithAMalformedPattern_Is422AndKeepsTheRuleAsItWas()
    {
        var client = await NewWorkspaceAsync();
        var id = await client.CreateRuleAsync("""{"name":"Logins","rule_type":"new_country","conditions":{"action_patterns":["auth.login"]}}""");
        var put = await client.PutAsync($"/api/v1/alert-rules/{id}", new StringContent("""{"name":"Logins","rule_type":"new_country","conditions":{"action_patterns":["auth..login"]}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        Assert.Equal("conditions.action_patterns[0]", (await put.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
        var stored = (await client.GetJsonAsync($"/api/v1/alert-rules/{id}"))["data"]!;
        Assert.Equal("auth.login", stored["conditions"]!["action_patterns"]![0]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(InvalidRules))]
    public async Task Create_InvalidRule_Is422WithTheFieldPath(string body, string field, string message)
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/alert-rules", body);
        var json = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = json["violations"]!.AsArray().FirstOrDefault(v => v!["field"]!.GetValue<string>() == field);
        Assert.True(violation is not null, $"no violation for {field}: {json.ToJsonString()}");
        Assert.Contains(message, violation!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync("/api/v1/alert-rules"))["data"]!.AsArray());
    }

    [Fact]
    public async Task Create_FillsDefaults_AndRoundTrips()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/alert-rules", """{"name":"Brute force","rule_type":"repeated_action","conditions":{"group_by":"metadata.attempted_email"},"channels":["email","webhook"]}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var rule = (await response.ReadJsonAsync())["data"]!;
        Assert.Equal($"/api/v1/alert-rules/{rule["id"]!.GetValue<string>()}", response.Headers.Location!.OriginalString);
        Assert.Equal("""{"action_patterns":["auth.login_failed"],"threshold":5,"window_minutes":10,"group_by":"metadata.attempted_email"}""", rule["conditions"]!.ToJsonString());
        Assert.Equal(("high", true, 60), (rule["severity"]!.GetValue<string>(), rule["enabled"]!.GetValue<bool>(), rule["cooldown_minutes"]!.GetValue<int>()));
        var fetched = (await client.GetJsonAsync($"/api/v1/alert-rules/{rule["id"]!.GetValue<string>()}"))["data"]!;
        Assert.Equal(rule.ToJsonString(), fetched.ToJsonString());
    }

    [Fact]
    public async Task Changes_AreWrittenToTheAuditLog_WithBeforeAndAfter()
    {
        var client = await NewWorkspaceAsync();
        var id = await client.CreateRuleAsync("""{"name":"Nights","rule_type":"off_hours","conditions":{"timezone":"Europe/Bucharest","start_hour":22,"end_hour":6}}""");
        var put = await client.PutAsync($"/api/v1/alert-rules/{id}", new StringContent("""{"name":"Nights","rule_type":"off_hours","conditions":{"timezone":"Europe/Bucharest","start_hour":23,"end_hour":5}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(23, (await put.ReadJsonAsync())["data"]!["conditions"]!["start_hour"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/alert-rules/{id}")).StatusCode);

        var log = (await client.GetJsonAsync("/api/v1/events?action=alert_rule.*&order=asc"))["data"]!.AsArray();
        Assert.Equal(["alert_rule.created", "alert_rule.updated", "alert_rule.deleted"], log.Select(e => e!["action"]!.GetValue<string>()));
        Assert.All(log, e => Assert.Equal(id, e!["resource_id"]!.GetValue<string>()));
        Assert.StartsWith("api_key:imk_", log[0]!["actor_id"]!.GetValue<string>(), StringComparison.Ordinal);
        var update = log[1]!["metadata"]!;
        Assert.Equal(22, update["before"]!["conditions"]!["start_hour"]!.GetValue<int>());
        Assert.Equal(23, update["after"]!["conditions"]!["start_hour"]!.GetValue<int>());
        Assert.True((await client.GetJsonAsync("/api/v1/verify"))["data"]!["valid"]!.GetValue<bool>());
        await client.GetJsonAsync($"/api/v1/alert-rules/{id}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_RuleUsedByACorrelation_Is409()
    {
        var client = await NewWorkspaceAsync();
        var a = await client.CreateRuleAsync("""{"name":"a","rule_type":"new_country"}""");
        var b = await client.CreateRuleAsync("""{"name":"b","rule_type":"off_hours"}""");
        await client.CreateRuleAsync($$$"""{"name":"c","rule_type":"correlation","conditions":{"rule_ids":["{{{a}}}","{{{b}}}"]}}""");
        var response = await client.DeleteAsync($"/api/v1/alert-rules/{a}");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("rule_in_use", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task RulesAndAlerts_OfAnotherWorkspace_AreInvisible()
    {
        var a = await NewWorkspaceAsync();
        var b = await NewWorkspaceAsync();
        var rule = await a.CreateRuleAsync("""{"name":"a","rule_type":"new_country"}""");
        await a.IngestAsync(new { actor_id = "x", action = "auth.login", ip_address = NewYorkIp });
        await a.IngestAsync(new { actor_id = "x", action = "auth.login", ip_address = SydneyIp });
        var alert = Assert.Single(await a.WaitForAlertsAsync("", 1))!;

        Assert.Empty((await b.GetJsonAsync("/api/v1/alert-rules"))["data"]!.AsArray());
        Assert.Empty((await b.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray());
        await b.GetJsonAsync($"/api/v1/alert-rules/{rule}", HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/api/v1/alerts/{alert["id"]!.GetValue<string>()}", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/api/v1/alert-rules/{rule}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.PostJsonAsync($"/api/v1/alerts/{alert["id"]!.GetValue<string>()}/acknowledge", "{}")).StatusCode);
        // Correlations cannot reach across workspaces either.
        var other = await b.CreateRuleAsync("""{"name":"b","rule_type":"off_hours"}""");
        var cross = await b.PostJsonAsync("/api/v1/alert-rules", $$$"""{"name":"c","rule_type":"correlation","conditions":{"rule_ids":["{{{rule}}}","{{{other}}}"]}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, cross.StatusCode);
    }

    [Fact]
    public async Task Acknowledge_RecordsWhoWhenAndNote_AndFiltersSeeIt()
    {
        var client = await NewWorkspaceAsync();
        await client.CreateRuleAsync("""{"name":"travel","rule_type":"impossible_travel"}""");
        await client.IngestAsync(new { actor_id = "sam", action = "auth.login", ip_address = NewYorkIp, occurred_at = "2026-03-27T12:00:00Z" });
        await client.IngestAsync(new { actor_id = "sam", action = "auth.login", ip_address = SydneyIp, occurred_at = "2026-03-27T13:00:00Z" });
        var id = (await client.WaitForAlertsAsync("status=open&severity=high&actor_id=sam", 1))[0]!["id"]!.GetValue<string>();

        var ack = await client.PostJsonAsync($"/api/v1/alerts/{id}/acknowledge", """{"note":"Known trip, verified by phone"}""");
        var alert = (await ack.ReadJsonAsync())["data"]!;
        Assert.Equal("acknowledged", alert["status"]!.GetValue<string>());
        Assert.Equal("Known trip, verified by phone", alert["acknowledgement_note"]!.GetValue<string>());
        Assert.StartsWith("api_key:imk_", alert["acknowledged_by"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("2026-03-27T14:00:00.000000Z", alert["acknowledged_at"]!.GetValue<string>());

        Assert.Empty((await client.GetJsonAsync("/api/v1/alerts?status=open"))["data"]!.AsArray());
        Assert.Single((await client.GetJsonAsync("/api/v1/alerts?status=acknowledged&rule_type=impossible_travel"))["data"]!.AsArray());
        var again = await client.PostAsync($"/api/v1/alerts/{id}/acknowledge", null);
        Assert.Equal("Known trip, verified by phone", (await again.ReadJsonAsync())["data"]!["acknowledgement_note"]!.GetValue<string>());
        Assert.Single((await client.GetJsonAsync("/api/v1/events?action=alert.acknowledged"))["data"]!.AsArray());
        await client.GetJsonAsync("/api/v1/alerts?severity=urgent&status=closed", HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task DryRun_ReturnsTheAlertsARuleWouldRaise_AndStoresNothing()
    {
        var client = await NewWorkspaceAsync();
        for (var i = 0; i < 7; i++)
            await client.IngestAsync(new { actor_id = "unknown", action = "auth.login_failed", occurred_at = $"2026-03-27T10:0{i}:00Z", metadata = new { attempted_email = "ceo@acme.io" } });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });

        var response = await client.PostJsonAsync("/api/v1/alert-rules/test", """{"rule":{"name":"tuning","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":5,"group_by":"metadata.attempted_email"}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.ReadJsonAsync())["data"]!;
        var alert = Assert.Single(result["alerts"]!.AsArray())!;
        Assert.Equal(3, alert["hit_count"]!.GetValue<int>());
        Assert.Equal("ceo@acme.io", alert["group_key"]!.GetValue<string>());
        Assert.Equal(9, result["events_scanned"]!.GetValue<int>());

        var stricter = (await (await client.PostJsonAsync("/api/v1/alert-rules/test", """{"rule":{"name":"t","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":8,"group_by":"metadata.attempted_email"}}}""")).ReadJsonAsync())["data"]!;
        Assert.Empty(stricter["alerts"]!.AsArray());

        var saved = await client.CreateRuleAsync("""{"name":"nc","rule_type":"new_country","enabled":false}""");
        var byId = (await (await client.PostJsonAsync("/api/v1/alert-rules/test", $$$"""{"rule_id":"{{{saved}}}"}""")).ReadJsonAsync())["data"]!;
        Assert.Equal("RO", Assert.Single(byId["alerts"]!.AsArray())!["context"]!["new_country"]!.GetValue<string>());

        await client.SettleAsync(app);
        Assert.Empty((await client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray());
        var bad = await client.PostJsonAsync("/api/v1/alert-rules/test", """{"rule":{"name":"t","rule_type":"off_hours","conditions":{"start_hour":30}}}""");
        Assert.Equal("rule.conditions.start_hour", (await bad.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
    }
}
