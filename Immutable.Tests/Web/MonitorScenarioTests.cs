using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>The four uses monitors must serve, end to end over HTTP.</summary>
[Trait("Postgres", "run")]
public class MonitorScenarioTests : IDisposable
{
    private static readonly DateTime Nine = new(2026, 3, 27, 9, 0, 0, DateTimeKind.Utc);
    private readonly ImmutableAppFactory _app = new(null, new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));

    public void Dispose() => _app.Dispose();

    private Task<int> EvaluateAsync() => _app.Services.GetRequiredService<MonitorEvaluator>().EvaluateAsync(default);

    private static async Task<string> CreateMonitorAsync(HttpClient client, string json)
    {
        var response = await client.PostJsonAsync("/api/v1/monitors", json);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        return body["data"]!["id"]!.GetValue<string>();
    }

    private static async Task<JsonArray> ObservationsAsync(HttpClient client, string query = "") =>
        (await client.GetJsonAsync("/api/v1/observations?limit=100&" + query))["data"]!.AsArray();

    [Fact]
    public async Task UnauthorizedQueriesAgainstProduction_OverTheThreshold_AreObserved_WithTheEvidence()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var monitor = await CreateMonitorAsync(client, """
            {"name":"Unauthorized prod queries","scope":{"type":"schema","value":"prod"},"metric":"unauthorized_query_count",
             "timeframe_minutes":60,"thresholds":[{"value":5,"severity":"medium"}],"notify":"each"}
            """);
        await client.QueriesAsync("dana", 6, Nine, TimeSpan.FromMinutes(2), new { schema = "prod", data_source = "orders", outcome = "unauthorized" });
        await client.QueriesAsync("dana", 20, Nine, TimeSpan.FromMinutes(1), new { schema = "prod", data_source = "orders", outcome = "success", rows = 10 });
        await client.QueriesAsync("dana", 20, Nine, TimeSpan.FromMinutes(1), new { schema = "staging", outcome = "unauthorized" });
        await client.QueriesAsync("lee", 5, Nine, TimeSpan.FromMinutes(1), new { schema = "prod", outcome = "unauthorized" });
        await EvaluateAsync();

        var observation = Assert.Single(await ObservationsAsync(client))!;
        Assert.Equal(("dana", "medium", 6.0, 5.0), (observation["user_id"]!.GetValue<string>(), observation["severity"]!.GetValue<string>(),
            observation["metric_value"]!.GetValue<double>(), observation["threshold"]!.GetValue<double>()));
        Assert.Equal("Greater than 5 unauthorized query events in the last 1 hour.", observation["message"]!.GetValue<string>());
        Assert.Equal(monitor, observation["monitor_id"]!.GetValue<string>());
        Assert.True(observation["notification_required"]!.GetValue<bool>());
        Assert.Matches("^obs_[0-9a-f-]{36}$", observation["id"]!.GetValue<string>());

        var detail = (await client.GetJsonAsync($"/api/v1/observations/{observation["id"]!.GetValue<string>()}?events_limit=4"))["data"]!;
        var page1 = detail["related_events"]!;
        Assert.Equal(6, page1["pagination"]!["total"]!.GetValue<int>());
        Assert.Equal(4, page1["data"]!.AsArray().Count);
        Assert.All(page1["data"]!.AsArray(), e => Assert.Equal("unauthorized", e!["metadata"]!["outcome"]!.GetValue<string>()));
        var cursor = page1["pagination"]!["next_cursor"]!.GetValue<string>();
        var page2 = (await client.GetJsonAsync($"/api/v1/observations/{observation["id"]!.GetValue<string>()}?events_limit=4&events_cursor={cursor}"))["data"]!["related_events"]!;
        Assert.Equal(2, page2["data"]!.AsArray().Count);
        Assert.False(page2["pagination"]!["has_more"]!.GetValue<bool>());

        // Evaluating again (nothing new) creates nothing.
        Assert.Equal(0, await EvaluateAsync());
    }

    [Fact]
    public async Task FirstTouchOfHighlySensitivePiiData_IsNotifiedOnlyTheFirstTimePerUser()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await CreateMonitorAsync(client, """
            {"name":"First touch of highly sensitive PII","conditions":{"tags":["PII"],"sensitivity":"highly_sensitive"},
             "metric":"query_count","timeframe_minutes":60,"thresholds":[{"value":0,"severity":"high"}],"notify":"first_per_user"}
            """);
        var pii = new { schema = "prod", table = "customers", column_tags = new[] { "PII" }, sensitivity = "highly_sensitive", rows = 1 };
        await client.QueriesAsync("ana", 1, Nine, TimeSpan.Zero, pii);
        await client.QueriesAsync("ana", 1, Nine.AddMinutes(5), TimeSpan.Zero, new { schema = "prod", column_tags = new[] { "PII" }, sensitivity = "sensitive" });
        await EvaluateAsync();
        // Hours later, a second episode for ana; and bo's first.
        await client.QueriesAsync("ana", 1, Nine.AddHours(4), TimeSpan.Zero, pii);
        await client.QueriesAsync("bo", 1, Nine.AddHours(4), TimeSpan.Zero, pii);
        await EvaluateAsync();

        var ana = await ObservationsAsync(client, "user_id=ana");
        Assert.Equal(2, ana.Count);
        Assert.Equal([false, true], ana.Select(o => o!["notification_required"]!.GetValue<bool>()));  // newest first
        Assert.True(Assert.Single(await ObservationsAsync(client, "user_id=bo"))!["notification_required"]!.GetValue<bool>());
        Assert.Equal(1, ana[1]!["related_event_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task MoreThanNQueriesInAnHour_IsLowAtN_AndHighAtTenN()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await CreateMonitorAsync(client, """
            {"name":"Query volume","metric":"query_count","timeframe_minutes":60,
             "thresholds":[{"value":20,"severity":"low"},{"value":200,"severity":"high"}]}
            """);
        await client.QueriesAsync("eve", 30, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await EvaluateAsync();
        var low = Assert.Single(await ObservationsAsync(client))!;
        Assert.Equal("low", low["severity"]!.GetValue<string>());
        Assert.Equal("Greater than 20 query events in the last 1 hour.", low["message"]!.GetValue<string>());

        await client.QueriesAsync("eve", 200, Nine.AddMinutes(31), TimeSpan.FromSeconds(5), new { schema = "prod" });
        await EvaluateAsync();
        var all = await ObservationsAsync(client);
        Assert.Equal(["high", "low"], all.Select(o => o!["severity"]!.GetValue<string>()));
        Assert.Equal(200, all[0]!["threshold"]!.GetValue<double>());
        Assert.True(all[0]!["metric_value"]!.GetValue<double>() > 200);
    }

    [Fact]
    public async Task MoreThanAMillionRowsOfPciTablesInADay_IsObserved()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await CreateMonitorAsync(client, """
            {"name":"PCI rows per day","conditions":{"tags":["PCI"]},"metric":"rows_accessed","timeframe_minutes":1440,
             "thresholds":[{"value":1000000,"severity":"critical"}]}
            """);
        await client.QueriesAsync("finn", 3, Nine, TimeSpan.FromHours(3), new { table = "cards", table_tags = new[] { "PCI" }, rows = 300_000 });
        await client.QueriesAsync("finn", 5, Nine, TimeSpan.FromHours(1), new { table = "orders", rows = 900_000 });
        await EvaluateAsync();
        Assert.Empty(await ObservationsAsync(client));

        await client.QueriesAsync("finn", 1, Nine.AddHours(12), TimeSpan.Zero, new { table = "cards", classification_tags = new[] { "pci" }, rows = 100_001 });
        await EvaluateAsync();
        var observation = Assert.Single(await ObservationsAsync(client))!;
        Assert.Equal(1_000_001, observation["metric_value"]!.GetValue<double>());
        Assert.Equal("Greater than 1000000 rows accessed in the last 1 day.", observation["message"]!.GetValue<string>());
        Assert.Equal(4, observation["related_event_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task LateEvents_AreCountedInTheWindowsTheyBelongTo()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await CreateMonitorAsync(client, """{"name":"Volume","timeframe_minutes":60,"thresholds":[{"value":10,"severity":"low"}]}""");
        await client.QueriesAsync("gil", 8, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await EvaluateAsync();
        Assert.Empty(await ObservationsAsync(client));
        // Arriving hours later, stamped inside the evaluated hour.
        await client.QueriesAsync("gil", 3, Nine.AddMinutes(20), TimeSpan.FromMinutes(1), new { schema = "prod" });
        await EvaluateAsync();
        Assert.Equal(11, Assert.Single(await ObservationsAsync(client))!["metric_value"]!.GetValue<double>());
    }

    [Fact]
    public async Task ObservationWebhookPayload_CarriesOnlyAnOpaqueStableProfileId()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        await CreateMonitorAsync(client, """{"name":"Volume","timeframe_minutes":60,"thresholds":[{"value":1,"severity":"high"}]}""");
        await client.QueriesAsync("jordan.lee@acme.io", 2, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await client.QueriesAsync("sam@acme.io", 2, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await client.QueriesAsync("jordan.lee@acme.io", 2, Nine.AddHours(5), TimeSpan.FromMinutes(1), new { schema = "prod" });
        await EvaluateAsync();

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var observations = await db.Observations.OrderBy(o => o.RowId).ToListAsync();
        Assert.Equal(3, observations.Count);
        var jordan = observations.Where(o => o.UserId == "jordan.lee@acme.io").Select(o => o.ProfileId).Distinct().ToList();
        Assert.Single(jordan);
        Assert.NotEqual(jordan[0], observations.Single(o => o.UserId == "sam@acme.io").ProfileId);

        var payload = ObservationNotification.Payload(observations[0], "https://immutable.example");
        var text = payload.ToJsonString();
        Assert.DoesNotContain("jordan", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("acme.io", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("USER", payload["observedResource"]!["type"]!.GetValue<string>());
        Assert.Equal(jordan[0].ToString(System.Globalization.CultureInfo.InvariantCulture), payload["observedResource"]!["profileId"]!.GetValue<string>());
        Assert.Equal($"https://immutable.example/observations/{observations[0].Id}", payload["link"]!.GetValue<string>());
        Assert.Equal("HIGH", payload["severity"]!.GetValue<string>());
        Assert.Equal("observation.created", payload["event_type"]!.GetValue<string>());
    }
}

[Trait("Postgres", "run")]
public class MonitorsApiTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private Task<HttpClient> NewWorkspaceAsync() => app.CreateWorkspaceClientAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);

    public static TheoryData<string, string, string> InvalidMonitors => new()
    {
        { """{"thresholds":[{"value":1,"severity":"low"}]}""", "name", "is required" },
        { """{"name":"m"}""", "thresholds", "1 to 5" },
        { """{"name":"m","thresholds":[{"value":100,"severity":"high"},{"value":10,"severity":"low"}]}""", "thresholds[1]", "increase strictly" },
        { """{"name":"m","thresholds":[{"value":10,"severity":"high"},{"value":100,"severity":"high"}]}""", "thresholds[1]", "increase strictly" },
        { """{"name":"m","thresholds":[{"value":-1,"severity":"low"}]}""", "thresholds[0].value", "non-negative" },
        { """{"name":"m","thresholds":[{"value":1,"severity":"urgent"}]}""", "thresholds[0].severity", "info, low" },
        { """{"name":"m","timeframe_minutes":15,"thresholds":[{"value":1,"severity":"low"}]}""", "timeframe_minutes", "multiple of 10" },
        { """{"name":"m","scope":{"type":"schema"},"thresholds":[{"value":1,"severity":"low"}]}""", "scope.value", "is required when scope.type is schema" },
        { """{"name":"m","scope":{"type":"all","value":"prod"},"thresholds":[{"value":1,"severity":"low"}]}""", "scope.value", "must be absent" },
        { """{"name":"m","scope":{"type":"table","value":"x"},"thresholds":[{"value":1,"severity":"low"}]}""", "scope.type", "all, schema, data_source" },
        { """{"name":"m","metric":"bytes","thresholds":[{"value":1,"severity":"low"}]}""", "metric", "query_count" },
        { """{"name":"m","notify":"always","thresholds":[{"value":1,"severity":"low"}]}""", "notify", "first_per_user" },
        { """{"name":"m","conditions":{"sensitivity":"non_sensitive"},"thresholds":[{"value":1,"severity":"low"}]}""", "conditions.sensitivity", "highly_sensitive" },
        { """{"name":"m","conditions":{"tag":["PII"]},"thresholds":[{"value":1,"severity":"low"}]}""", "conditions.tag", "not a monitor condition" },
    };

    [Theory]
    [MemberData(nameof(InvalidMonitors))]
    public async Task Create_Invalid_Is422WithTheFieldPath(string body, string field, string message)
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/monitors", body);
        var json = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = json["violations"]!.AsArray().FirstOrDefault(v => v!["field"]!.GetValue<string>() == field);
        Assert.True(violation is not null, json.ToJsonString());
        Assert.Contains(message, violation!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crud_RoundTripsEveryField_AndIsAudited()
    {
        var client = await NewWorkspaceAsync();
        var create = await client.PostJsonAsync("/api/v1/monitors", """
            {"name":"PII readers","scope":{"type":"data_source","value":"warehouse"},"conditions":{"tags":["PII"],"sensitivity":"sensitive","outcome":"success","min_duration_ms":50},
             "metric":"rows_accessed","timeframe_minutes":1440,"thresholds":[{"value":1000,"severity":"low"},{"value":100000,"severity":"critical"}],"notify":"first_per_user","channels":["webhook"]}
            """);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var monitor = (await create.ReadJsonAsync())["data"]!;
        var id = monitor["id"]!.GetValue<string>();
        Assert.Matches("^mon_[0-9a-f-]{36}$", id);
        Assert.Equal("""{"type":"data_source","value":"warehouse"}""", monitor["scope"]!.ToJsonString());
        Assert.Equal("""{"tags":["PII"],"sensitivity":"sensitive","outcome":"success","min_duration_ms":50}""", monitor["conditions"]!.ToJsonString());
        Assert.Equal(("rows_accessed", 1440, "first_per_user"), (monitor["metric"]!.GetValue<string>(), monitor["timeframe_minutes"]!.GetValue<int>(), monitor["notify"]!.GetValue<string>()));

        var put = await client.PutAsync($"/api/v1/monitors/{id}", new StringContent("""{"name":"PII readers","enabled":false,"thresholds":[{"value":5,"severity":"medium"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.False((await put.ReadJsonAsync())["data"]!["enabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/monitors/{id}")).StatusCode);
        await client.GetJsonAsync($"/api/v1/monitors/{id}", HttpStatusCode.NotFound);

        var log = (await client.GetJsonAsync("/api/v1/events?action=monitor.*&order=asc"))["data"]!.AsArray();
        Assert.Equal(["monitor.created", "monitor.updated", "monitor.deleted"], log.Select(e => e!["action"]!.GetValue<string>()));
        Assert.Equal(1440, log[1]!["metadata"]!["before"]!["timeframe_minutes"]!.GetValue<int>());
        Assert.Equal(60, log[1]!["metadata"]!["after"]!["timeframe_minutes"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"actor_id":"u","action":"query.executed","metadata":{"rows":-5}}""", "metadata.rows", "non-negative integer")]
    [InlineData("""{"actor_id":"u","action":"query.executed","metadata":{"rows":"many"}}""", "metadata.rows", "non-negative integer")]
    [InlineData("""{"actor_id":"u","action":"query.executed","metadata":{"sensitivity":"top_secret"}}""", "metadata.sensitivity", "highly_sensitive")]
    [InlineData("""{"actor_id":"u","action":"query.executed","metadata":{"outcome":"denied"}}""", "metadata.outcome", "unauthorized")]
    [InlineData("""{"actor_id":"u","action":"query.executed","metadata":{"table_tags":"PII"}}""", "metadata.table_tags", "array of strings")]
    public async Task Ingest_QueryEventWithInvalidContext_Is422NamingTheField(string body, string field, string message)
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = Assert.Single((await response.ReadJsonAsync())["violations"]!.AsArray())!;
        Assert.Equal(field, violation["field"]!.GetValue<string>());
        Assert.Contains(message, violation["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_QueryContextIsCheckedPerBatchItem_AndOnlyForQueryActions()
    {
        var client = await NewWorkspaceAsync();
        var ok = await client.PostJsonAsync("/api/v1/events", """{"actor_id":"u","action":"report.exported","metadata":{"rows":-5}}""");
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var batch = await client.PostJsonAsync("/api/v1/events/batch", """{"events":[{"actor_id":"u","action":"query.run","metadata":{"rows":1}},{"actor_id":"u","action":"query.run","metadata":{"rows":1.5}}]}""");
        Assert.Equal("events[1].metadata.rows", (await batch.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Observations_Acknowledge_AndFilterValidation()
    {
        var client = await NewWorkspaceAsync();
        var created = await client.PostJsonAsync("/api/v1/monitors", """{"name":"v","thresholds":[{"value":1,"severity":"low"}]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await client.PostJsonAsync("/api/v1/events/batch", """{"events":[{"actor_id":"kim","action":"query.run","occurred_at":"2026-03-27T10:00:00Z"},{"actor_id":"kim","action":"query.run","occurred_at":"2026-03-27T10:01:00Z"}]}""");
        await app.Services.GetRequiredService<MonitorEvaluator>().EvaluateAsync(default);
        var observation = Assert.Single((await client.GetJsonAsync("/api/v1/observations?user_id=kim&severity=low&status=open"))["data"]!.AsArray())!;
        var ack = await client.PostJsonAsync($"/api/v1/observations/{observation["id"]!.GetValue<string>()}/acknowledge", """{"note":"expected batch job"}""");
        var acknowledged = (await ack.ReadJsonAsync())["data"]!;
        Assert.Equal("acknowledged", acknowledged["status"]!.GetValue<string>());
        Assert.Equal("expected batch job", acknowledged["acknowledgement_note"]!.GetValue<string>());
        Assert.Empty((await client.GetJsonAsync("/api/v1/observations?status=open"))["data"]!.AsArray());
        await client.GetJsonAsync("/api/v1/observations?severity=huge", HttpStatusCode.UnprocessableEntity);
        var other = await NewWorkspaceAsync();
        await other.GetJsonAsync($"/api/v1/observations/{observation["id"]!.GetValue<string>()}", HttpStatusCode.NotFound);
        Assert.Empty((await other.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray());
    }
}
