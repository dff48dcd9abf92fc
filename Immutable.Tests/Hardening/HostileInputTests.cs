using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Monitors;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Hardening;

/// <summary>
/// The real host with one workspace holding a saved rule, monitor, webhook endpoint, an open alert and an open
/// observation, so updates, acknowledgements and observation reads reach the code that reads their input.
/// </summary>
public sealed class HostileInputHost : ImmutableAppFactory, IAsyncLifetime
{
    public HostileInputHost() => With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1");

    public HttpClient Client { get; private set; } = default!;
    public Dictionary<string, string> Ids { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Client = await CreateWorkspaceClientAsync("hostile");
        Ids["rule"] = await Client.CreateRuleAsync("""{"name":"Every login","rule_type":"repeated_action","conditions":{"action_patterns":["auth.login"],"threshold":1,"window_minutes":10}}""");
        Ids["monitor"] = await CreatedIdAsync("/api/v1/monitors", """{"name":"Queries","thresholds":[{"value":1,"severity":"low"}]}""");
        Ids["webhook"] = await CreatedIdAsync("/api/v1/webhook-endpoints", """{"url":"http://127.0.0.1:9/hook","record_types":["observations"]}""");

        await Client.IngestAsync(new { actor_id = "kim", action = "auth.login", occurred_at = "2026-03-27T10:00:00Z" });
        Ids["alert"] = (await Client.WaitForAlertsAsync("status=open", 1))[0]!["id"]!.GetValue<string>();
        var batch = await Client.PostJsonAsync("/api/v1/events/batch", """{"events":[{"actor_id":"kim","action":"query.run","occurred_at":"2026-03-27T10:00:00Z"},{"actor_id":"kim","action":"query.run","occurred_at":"2026-03-27T10:01:00Z"}]}""");
        Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);
        await Services.GetRequiredService<MonitorEvaluator>().EvaluateAsync(default);
        Ids["observation"] = (await Client.GetJsonAsync("/api/v1/observations"))["data"]![0]!["id"]!.GetValue<string>();
        await Client.SettleAsync(this);
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    private async Task<string> CreatedIdAsync(string url, string json)
    {
        var response = await Client.PostJsonAsync(url, json);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{url}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body["data"]!["id"]!.GetValue<string>();
    }

    public string Resolve(string path)
    {
        foreach (var (name, id) in Ids) path = path.Replace("{" + name + "}", id, StringComparison.Ordinal);
        return path;
    }

    /// <summary>Everything a rejected write could have half-stored: rows, updates and acknowledgements.</summary>
    public string Snapshot()
    {
        using var db = OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT (SELECT COUNT(*) FROM events) || '|' || (SELECT COUNT(*) FROM event_targets)
                || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), 0) FROM alert_rules)
                || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), 0) FROM monitors)
                || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), 0) FROM webhook_endpoints)
                || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), 0) FROM workspace_settings)
                || '|' || (SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NOT NULL)
                || '|' || (SELECT COUNT(*) FROM observations WHERE acknowledged_at IS NOT NULL)
            """;
        return (string)cmd.ExecuteScalar()!;
    }
}

/// <summary>
/// No 500 from input: every case of <see cref="HostileCorpus"/> is answered with a JSON 4xx envelope naming the
/// offending field, and nothing is stored or changed.
/// </summary>
public sealed class HostileInputTests(HostileInputHost host) : IClassFixture<HostileInputHost>
{
    private static readonly Dictionary<string, HostileCase> Cases =
        HostileCorpus.Bodies().Concat(HostileCorpus.Queries()).Concat(HostileCorpus.Harmless()).ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static TheoryData<string> BodyCases => Names(HostileCorpus.Bodies());
    public static TheoryData<string> QueryCases => Names(HostileCorpus.Queries());
    public static TheoryData<string> HarmlessCases => Names(HostileCorpus.Harmless());

    private static TheoryData<string> Names(IEnumerable<HostileCase> cases)
    {
        var data = new TheoryData<string>();
        foreach (var c in cases) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(BodyCases))]
    public async Task HostileBody_IsAJson4xxNamingTheField_AndStoresNothing(string name)
    {
        var c = Cases[name];
        var before = host.Snapshot();
        using var response = await SendAsync(c);
        await AssertEnvelopeAsync(response, c);
        Assert.Equal(before, host.Snapshot());
    }

    [Theory]
    [MemberData(nameof(QueryCases))]
    public async Task HostileQuery_IsAJson4xxNamingTheParameter(string name)
    {
        var c = Cases[name];
        using var response = await SendAsync(c);
        await AssertEnvelopeAsync(response, c);
    }

    [Theory]
    [MemberData(nameof(HarmlessCases))]
    public async Task HostileButValidInput_IsAnsweredWithJson_NeverA5xx(string name)
    {
        var c = Cases[name];
        using var response = await SendAsync(c);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == c.Status, $"{name}: expected {c.Status}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(text));
    }

    [Fact]
    public void Corpus_CoversEveryWriteAndReadEndpoint()
    {
        var paths = Cases.Values.Select(c => $"{c.Method} {c.Path.Split('?')[0]}").ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "POST /api/v1/events", "POST /api/v1/events/batch", "GET /api/v1/events", "POST /api/v1/alert-rules", "PUT /api/v1/alert-rules/{rule}",
            "POST /api/v1/alert-rules/test", "POST /api/v1/monitors", "PUT /api/v1/monitors/{monitor}", "POST /api/v1/webhook-endpoints",
            "PUT /api/v1/webhook-endpoints/{webhook}", "GET /api/v1/webhook-endpoints/{webhook}/deliveries", "GET /api/v1/alerts",
            "POST /api/v1/alerts/{alert}/acknowledge", "GET /api/v1/observations", "GET /api/v1/observations/{observation}",
            "POST /api/v1/observations/{observation}/acknowledge", "GET /api/v1/verify", "POST /api/v1/exports", "PUT /api/v1/retention",
            "PUT /api/v1/settings/ip-allowlist", "PUT /api/v1/settings/event-schema", "PUT /api/v1/settings/viewer", "POST /api/v1/log-streams",
            "POST /api/v1/viewer-token",
        ];
        Assert.All(expected, e => Assert.Contains(e, paths));
        Assert.True(Cases.Count > 1000, $"the corpus has {Cases.Count} cases");
    }

    private async Task<HttpResponseMessage> SendAsync(HostileCase c)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), host.Resolve(c.Path));
        if (c.Body is not null && c.Method != "GET")
        {
            request.Content = new ByteArrayContent(c.BodyBytes());
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
        }
        return await host.Client.SendAsync(request);
    }

    private static async Task AssertEnvelopeAsync(HttpResponseMessage response, HostileCase c)
    {
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status == c.Status, $"{c.Name}: expected {c.Status} {c.Error} {c.Field}, got {status} {Shorten(text)}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(c.Error, body["error"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]?.GetValue<string>()), "the envelope has a message");
        if (c.Field is null) return;
        var fields = body["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).ToList();
        Assert.True(fields.Contains(c.Field), $"{c.Name}: expected a violation on {c.Field}, got [{string.Join(", ", fields)}] {Shorten(text)}");
    }

    private static string Shorten(string text) => text.Length > 600 ? text[..600] + "…" : text;
}
