using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Detection;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>The seed scenarios of the detection issue, end to end over HTTP against the real host.</summary>
[Trait("Postgres", "run")]
public class DetectionScenarioTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new(null, new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));

    public void Dispose() => _app.Dispose();

    private static JsonNode Context(JsonNode alert) => alert["context"]!;

    [Fact]
    public async Task A_JordanFromRomaniaAt0317NewYorkTime_RaisesNewCountry_OffHours_AndTheirCorrelation()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var newCountry = await client.CreateRuleAsync("""{"name":"Login from a new country","rule_type":"new_country"}""");
        var offHours = await client.CreateRuleAsync("""{"name":"Night logins (NY)","rule_type":"off_hours","conditions":{"timezone":"America/New_York","start_hour":22,"end_hour":6}}""");
        var correlation = await client.CreateRuleAsync($$$"""{"name":"Lock the account","rule_type":"correlation","conditions":{"rule_ids":["{{{newCountry}}}","{{{offHours}}}"],"window_minutes":60}}""");

        // A week of 10:00 New York (EDT, UTC-4) logins from the US.
        for (var day = 20; day <= 26; day++)
            await client.IngestAsync(new { actor_id = "user_5a3c8f", actor_name = "Jordan Lee", action = "auth.login", ip_address = NewYorkIp, occurred_at = $"2026-03-{day}T14:00:00Z" });
        await client.SettleAsync(_app);
        Assert.Empty((await client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray());

        // Then Romania, at 03:17 New York time.
        var eventId = await client.IngestAsync(new { actor_id = "user_5a3c8f", actor_name = "Jordan Lee", action = "auth.login", ip_address = BucharestIp, occurred_at = "2026-03-27T07:17:00Z" });
        var alerts = await client.WaitForAlertsAsync("", 3);
        Assert.Equal(3, alerts.Count);

        var nc = alerts.Single(a => a!["rule_type"]!.GetValue<string>() == "new_country")!;
        Assert.Equal(["US"], Context(nc)["previous_countries"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RO", Context(nc)["new_country"]!.GetValue<string>());
        Assert.Equal("Actor user_5a3c8f logged in from RO for the first time (previously seen in: US)", nc["reason"]!.GetValue<string>());
        Assert.Equal(eventId, nc["event_id"]!.GetValue<string>());
        Assert.Equal("Jordan Lee", nc["event"]!["actor_name"]!.GetValue<string>());
        Assert.Equal("RO", nc["event"]!["ip_country"]!.GetValue<string>());
        Assert.Equal("RO", nc["ip_country"]!.GetValue<string>());
        Assert.Equal(newCountry, nc["rule_id"]!.GetValue<string>());
        Assert.Equal("open", nc["status"]!.GetValue<string>());
        Assert.Matches("^alt_[0-9a-f-]{36}$", nc["id"]!.GetValue<string>());

        var oh = alerts.Single(a => a!["rule_type"]!.GetValue<string>() == "off_hours")!;
        Assert.Equal("2026-03-27T03:17:00-04:00", Context(oh)["local_time"]!.GetValue<string>());
        Assert.Equal("America/New_York", Context(oh)["timezone"]!.GetValue<string>());

        var corr = alerts.Single(a => a!["rule_type"]!.GetValue<string>() == "correlation")!;
        Assert.Equal("critical", corr["severity"]!.GetValue<string>());
        Assert.Equal(correlation, corr["rule_id"]!.GetValue<string>());
        var linked = Context(corr)["alerts"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(new[] { nc["id"]!.GetValue<string>(), oh["id"]!.GetValue<string>() }.Order(), linked);
    }

    [Fact]
    public async Task B_SixFailedLoginsForOneEmailInTenMinutes_RaiseOneRepeatedActionAlert()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await client.CreateRuleAsync("""{"name":"Brute force","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":5,"window_minutes":10,"group_by":"metadata.attempted_email"}}""");
        for (var i = 0; i < 6; i++)
            await client.IngestAsync(new { actor_id = "unknown", action = "auth.login_failed", ip_address = "203.0.113.7", occurred_at = $"2026-03-27T13:{10 + i}:00Z",
                metadata = new { attempted_email = i % 2 == 0 ? "jordan@acme.io" : "Jordan@Acme.io" } });
        await client.SettleAsync(_app);

        var alert = Assert.Single((await client.GetJsonAsync("/api/v1/alerts?rule_type=repeated_action"))["data"]!.AsArray())!;
        Assert.Equal(2, alert["hit_count"]!.GetValue<int>());
        Assert.Equal("jordan@acme.io", Context(alert)["group_key"]!.GetValue<string>());
        Assert.Equal(5, Context(alert)["count"]!.GetValue<int>());
        Assert.Equal("high", alert["severity"]!.GetValue<string>());
    }

    [Fact]
    public async Task C_25DeletionsByOneAdminInTwoMinutes_RaiseHighVolumeDestructive()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await client.CreateRuleAsync("""{"name":"Mass deletion","rule_type":"high_volume_destructive"}""");
        var events = Enumerable.Range(0, 25).Select(i => new
        {
            actor_id = "admin_7",
            action = i % 3 == 0 ? "member.removed" : "project.deleted",
            occurred_at = Iso(new DateTime(2026, 3, 27, 13, 0, 0, DateTimeKind.Utc).AddSeconds(i * 4.8)),
        });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/events/batch", new { events })).StatusCode);
        var alert = Assert.Single(await client.WaitForAlertsAsync("rule_type=high_volume_destructive", 1))!;
        await client.SettleAsync(_app);
        alert = (await client.GetJsonAsync($"/api/v1/alerts/{alert["id"]!.GetValue<string>()}"))["data"]!;
        Assert.Equal(20, Context(alert)["count"]!.GetValue<int>());
        Assert.Equal(6, alert["hit_count"]!.GetValue<int>());
        Assert.Equal(["member.removed", "project.deleted"], Context(alert)["actions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("admin_7", alert["actor_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task D_BurstTenTimesTheLearnedBaseline_RaisesIngestionSpike_AfterLearning()
    {
        var app = new ImmutableAppFactory(null, new DateTimeOffset(2026, 3, 19, 14, 0, 0, TimeSpan.Zero));
        try
        {
            var client = await app.CreateWorkspaceClientAsync();
            await client.CreateRuleAsync("""{"name":"Volume spike","rule_type":"ingestion_spike"}""");
            var evaluator = app.Services.GetRequiredService<ScheduledRuleEvaluator>();

            // Eight days ago: history begins. One week before the burst, same hour: 120 events (10 per 5 minutes).
            await client.IngestAsync(new { actor_id = "svc", action = "job.ran" });
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 20, 14, 0, 0, TimeSpan.Zero));
            for (var i = 0; i < 120; i++)
            {
                await client.IngestAsync(new { actor_id = "svc", action = "job.ran" });
                app.Time.Advance(TimeSpan.FromSeconds(30));
            }

            // Still learning a day later, whatever the volume.
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 21, 14, 0, 0, TimeSpan.Zero));
            await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 100).Select(_ => new { actor_id = "svc", action = "job.ran" }) });
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 21, 14, 5, 0, TimeSpan.Zero));
            Assert.Equal(0, await evaluator.EvaluateAsync(default));

            // A normal window a week later: no alert.
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));
            await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 12).Select(_ => new { actor_id = "svc", action = "job.ran" }) });
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 27, 14, 5, 0, TimeSpan.Zero));
            Assert.Equal(0, await evaluator.EvaluateAsync(default));

            // The burst: 100 events in the next 5 minutes, ten times the baseline of 10.
            await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 100).Select(_ => new { actor_id = "svc", action = "job.ran" }) });
            app.Time.SetUtcNow(new DateTimeOffset(2026, 3, 27, 14, 10, 0, TimeSpan.Zero));
            Assert.Equal(1, await evaluator.EvaluateAsync(default));

            var alert = Assert.Single((await client.GetJsonAsync("/api/v1/alerts?rule_type=ingestion_spike"))["data"]!.AsArray())!;
            Assert.Equal(100, Context(alert)["window_count"]!.GetValue<int>());
            Assert.Equal(10.0, Context(alert)["baseline"]!.GetValue<double>());
            Assert.Null(alert["event"]);
            Assert.Contains("10× the baseline", alert["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            app.Dispose();
        }
    }

    [Fact]
    public async Task E_SydneyLoginAnHourAfterNewYork_RaisesImpossibleTravel()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await client.CreateRuleAsync("""{"name":"Impossible travel","rule_type":"impossible_travel"}""");
        await client.IngestAsync(new { actor_id = "sam", action = "auth.login", ip_address = NewYorkIp, occurred_at = "2026-03-27T12:00:00Z" });
        await client.IngestAsync(new { actor_id = "sam", action = "auth.login", ip_address = SydneyIp, occurred_at = "2026-03-27T13:00:00Z" });
        var alert = Assert.Single(await client.WaitForAlertsAsync("rule_type=impossible_travel", 1))!;
        Assert.Equal("US", Context(alert)["from"]!["country"]!.GetValue<string>());
        Assert.Equal("AU", Context(alert)["to"]!["country"]!.GetValue<string>());
        Assert.InRange(Context(alert)["distance_km"]!.GetValue<double>(), 15_000, 17_000);
        Assert.True(Context(alert)["speed_kmh"]!.GetValue<double>() > 900);
    }
}
