using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Monitors;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>POST /api/v1/monitors/test: what a monitor would have raised, the same as the live evaluator, storing nothing.</summary>
[Trait("Postgres", "run")]
public sealed class MonitorDryRunTests : IDisposable
{
    private static readonly DateTime Nine = new(2026, 3, 27, 9, 0, 0, DateTimeKind.Utc);
    private const string Volume = """{"name":"Query volume","metric":"query_count","timeframe_minutes":60,"thresholds":[{"value":20,"severity":"low"},{"value":200,"severity":"high"}]}""";
    private readonly ImmutableAppFactory _app = new(null, new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));

    public void Dispose() => _app.Dispose();

    private static async Task<JsonNode> TestAsync(HttpClient client, string body)
    {
        var response = await client.PostJsonAsync("/api/v1/monitors/test", body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json["data"]!;
    }

    private static string Key(JsonNode? o) =>
        $"{o!["user_id"]} {o["severity"]} {o["window_end"]!.GetValue<string>()[..16]} {o["metric_value"]!.GetValue<double>()}";

    [Fact]
    public async Task Test_DraftMonitor_FindsWhatTheEvaluatorThenRaises_AndStoresNothing()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        // Saved first (the evaluator watches from then on), evaluated only after the dry run.
        var created = await client.PostJsonAsync("/api/v1/monitors", Volume);
        var id = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();
        await client.QueriesAsync("eve", 30, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await client.QueriesAsync("eve", 200, Nine.AddMinutes(31), TimeSpan.FromSeconds(5), new { schema = "prod" });
        await client.QueriesAsync("lee", 10, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" });
        await client.QueriesAsync("lee", 50, Nine, TimeSpan.FromMinutes(1), new { schema = "prod" }); // 60 for lee

        var dry = await TestAsync(client, $$"""{"monitor":{{Volume}},"from":"2026-03-27T08:00:00Z","to":"2026-03-27T14:00:00Z"}""");
        Assert.Equal(290, dry["events_scanned"]!.GetValue<int>());
        Assert.Equal(2, dry["users"]!.GetValue<int>());
        var wouldBe = dry["observations"]!.AsArray();
        Assert.Equal(["lee low", "eve low", "eve high"], wouldBe.Select(o => $"{o!["user_id"]} {o["severity"]}"));
        // The series: the highest user in each 10-minute window; the current window (ending 14:00) is empty.
        var series = dry["series"]!.AsArray();
        Assert.Equal(36, series.Count);
        Assert.Equal(230, series.Max(p => p!["value"]!.GetValue<double>()));
        Assert.Equal("eve", series.MaxBy(p => p!["value"]!.GetValue<double>())!["user_id"]!.GetValue<string>());
        Assert.Equal(0, dry["current"]!["value"]!.GetValue<double>());
        Assert.Empty((await client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray()); // nothing stored

        // Evaluated live: the same observations, by user, severity, window and value.
        await _app.Services.GetRequiredService<MonitorEvaluator>().EvaluateAsync(default);
        var live = (await client.GetJsonAsync("/api/v1/observations?limit=100"))["data"]!.AsArray();
        Assert.Equal(wouldBe.Select(Key).Order(StringComparer.Ordinal), live.Select(Key).Order(StringComparer.Ordinal));

        var byId = await TestAsync(client, $$"""{"monitor_id":"{{id}}","from":"2026-03-27T08:00:00Z","to":"2026-03-27T14:00:00Z"}""");
        Assert.Equal(wouldBe.Select(Key), byId["observations"]!.AsArray().Select(Key));
    }

    [Theory]
    [InlineData("""{"monitor":{"name":"x","thresholds":[]}}""", "monitor.thresholds")]
    [InlineData("""{"monitor":{"name":"x","metric":"bytes","thresholds":[{"value":1,"severity":"low"}]}}""", "monitor.metric")]
    [InlineData("""{"monitor":"x"}""", "monitor")]
    [InlineData("""{"monitor_id":5}""", "monitor_id")]
    [InlineData("""{}""", "monitor")]
    [InlineData("""{"monitor":{"name":"x","thresholds":[{"value":1,"severity":"low"}]},"from":"yesterday"}""", "from")]
    [InlineData("""{"monitor":{"name":"x","thresholds":[{"value":1,"severity":"low"}]},"from":"2026-01-01T00:00:00Z","to":"2026-03-01T00:00:00Z"}""", "from")]
    [InlineData("""{"monitor":{"name":"x","thresholds":[{"value":1,"severity":"low"}]},"to":"2027-01-01T00:00:00Z"}""", "to")]
    [InlineData("""[1]""", "body")]
    public async Task Test_BadInput_Is422_WithTheFieldPath(string body, string field)
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var response = await client.PostJsonAsync("/api/v1/monitors/test", body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, json.ToJsonString());
        Assert.Contains(field, json["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()));
    }

    /// <summary>Both dry runs bound the period they replay by one rule (RequestValues.ReplayPeriod), with one message.</summary>
    [Fact]
    public async Task Test_APeriodOver31Days_IsRefusedAsTheRuleDryRunRefusesIt()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        const string period = "\"from\":\"2026-01-01T00:00:00Z\",\"to\":\"2026-02-10T00:00:00Z\"";
        foreach (var (path, body) in new[]
        {
            ("/api/v1/monitors/test", "{\"monitor\":{\"name\":\"x\",\"thresholds\":[{\"value\":1,\"severity\":\"low\"}]}," + period + "}"),
            ("/api/v1/alert-rules/test", "{\"rule\":{\"name\":\"Spike\",\"rule_type\":\"ingestion_spike\"}," + period + "}"),
        })
        {
            var response = await client.PostJsonAsync(path, body);
            var json = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, path + " " + json.ToJsonString());
            var violation = Assert.Single(json["violations"]!.AsArray())!;
            Assert.Equal("from", violation["field"]!.GetValue<string>());
            Assert.Equal("the period may be at most 31 days", violation["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Test_UnknownMonitorId_Is404()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var response = await client.PostJsonAsync("/api/v1/monitors/test", """{"monitor_id":"mon_nope"}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ObservationDetail_ShowsWhatEachEventAddedToTheMetric_AndTheRunningTotal()
    {
        var key = await _app.CreateKeyAsync("acme");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var created = await client.PostJsonAsync("/api/v1/monitors", """{"name":"Rows","metric":"rows_accessed","timeframe_minutes":60,"thresholds":[{"value":1000,"severity":"medium"}]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await client.QueriesAsync("finn", 1, Nine, TimeSpan.Zero, new { schema = "prod", table = "cards", rows = 700 });
        await client.QueriesAsync("finn", 1, Nine.AddMinutes(1), TimeSpan.Zero, new { schema = "prod", table = "orders", rows = 450, outcome = "success" });
        await _app.Services.GetRequiredService<MonitorEvaluator>().EvaluateAsync(default);
        var id = Assert.Single((await client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray())!["id"]!.GetValue<string>();

        await using var ctx = DashboardComponentContext.Create(_app.Services, key.WorkspaceId);
        var page = ctx.Render<ObservationDetail>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=observation-event]").Count));
        var rows = page.FindAll("[data-testid=observation-event]").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList()).ToList();
        Assert.Equal(["prod.cards", "700", "", "700", "700"], rows[0].Skip(2));
        Assert.Equal(["prod.orders", "450", "success", "450", "1,150"], rows[1].Skip(2));
    }
}
