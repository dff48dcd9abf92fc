using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>Signed webhooks through the outbox, against a real receiver on 127.0.0.1.</summary>
[Trait("Postgres", "run")]
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private ImmutableAppFactory _app = null!;
    private WebhookReceiver _receiver = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _app = new ImmutableAppFactory(null, new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero))
            .With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1")
            .With("Webhooks:TimeoutSeconds", "1")
            .With("Webhooks:MaxAttempts", "3")
            .With("Webhooks:PauseAfterFailures", "4");
        _client = await _app.CreateWorkspaceClientAsync();
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<JsonNode> CreateEndpointAsync(string? url = null, string types = """["alerts","observations"]""")
    {
        var response = await _client.PostJsonAsync("/api/v1/webhook-endpoints", $$$"""{"url":"{{{url ?? _receiver.Url}}}","record_types":{{{types}}}}""");
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        _receiver.Secret = body["data"]!["secret"]!.GetValue<string>();
        return body["data"]!;
    }

    private async Task RaiseNewCountryAlertAsync(string actor = "jordan")
    {
        await _client.IngestAsync(new { actor_id = actor, action = "auth.login", ip_address = NewYorkIp });
        await _client.IngestAsync(new { actor_id = actor, action = "auth.login", ip_address = BucharestIp });
    }

    private async Task<JsonArray> DeliveriesAsync(string endpointId) =>
        (await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]!.AsArray();

    /// <summary>
    /// Waits until the endpoint's deliveries have recorded <paramref name="attempts"/> attempts in all: only then may a
    /// test advance the fake clock (a retry is scheduled from the clock at the time the attempt is recorded).
    /// </summary>
    private async Task WaitForAttemptsAsync(string endpointId, int attempts)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 10_000)
        {
            if ((await DeliveriesAsync(endpointId)).Sum(d => d!["attempt_log"]!.AsArray().Count) >= attempts) return;
            await Task.Delay(25);
        }
        Assert.Fail($"expected {attempts} recorded attempt(s): {(await DeliveriesAsync(endpointId)).ToJsonString()}");
    }

    private async Task<JsonNode> WaitForDeliveryStatusAsync(string endpointId, string status)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 10_000)
        {
            var d = (await DeliveriesAsync(endpointId)).FirstOrDefault();
            if (d?["status"]?.GetValue<string>() == status) return d!;
            await Task.Delay(50);
        }
        Assert.Fail($"no delivery reached {status}: {(await DeliveriesAsync(endpointId)).ToJsonString()}");
        return null!;
    }

    [Fact]
    public async Task Endpoint_SecretShownOnce_AndPrivateOrNonHttpUrlsRefused()
    {
        var endpoint = await CreateEndpointAsync();
        Assert.StartsWith("whsec_", endpoint["secret"]!.GetValue<string>(), StringComparison.Ordinal);
        var fetched = (await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpoint["id"]!.GetValue<string>()}"))["data"]!;
        Assert.Null(fetched["secret"]);
        Assert.DoesNotContain("whsec_", (await _client.GetJsonAsync("/api/v1/webhook-endpoints")).ToJsonString(), StringComparison.Ordinal);

        foreach (var url in new[] { "http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/x", "http://192.168.1.1/", "ftp://example.com/x", "not a url", "http://user:pw@127.0.0.1/x" })
        {
            var response = await _client.PostJsonAsync("/api/v1/webhook-endpoints", new { url });
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, url);
            Assert.Equal("url", (await response.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task AlertTriggered_IsDeliveredSigned_WithTheSpecPayload()
    {
        var endpoint = await CreateEndpointAsync();
        await _client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country","channels":["webhook"]}""");
        await _client.CreateRuleAsync("""{"name":"Silent","rule_type":"impossible_travel","channels":["email"]}""");
        await RaiseNewCountryAlertAsync();

        var received = await _receiver.WaitForAsync(1);
        Assert.True(received.SignatureValid);
        Assert.StartsWith("sha256=", received.Headers["X-Immutable-Signature"], StringComparison.Ordinal);
        Assert.Matches("^t=[0-9]+,sha256=[0-9a-f]{64}$", received.Headers["X-Immutable-Signature-Timestamped"]);
        Assert.StartsWith("dlv_", received.Headers["X-Immutable-Delivery"], StringComparison.Ordinal);
        Assert.Equal(received.Headers["X-Immutable-Timestamp"], received.Headers["X-Immutable-Signature-Timestamped"][2..^72]);
        var payload = JsonNode.Parse(received.Body)!;
        Assert.Equal("alert.triggered", payload["event_type"]!.GetValue<string>());
        Assert.Equal("new_country", payload["rule_type"]!.GetValue<string>());
        Assert.Equal("RO", payload["context"]!["new_country"]!.GetValue<string>());
        Assert.Equal("jordan", payload["event"]!["actor_id"]!.GetValue<string>());
        Assert.StartsWith("alt_", payload["alert_id"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var key in new[] { "rule_name", "severity", "reason", "triggered_at", "workspace_id" }) Assert.NotNull(payload[key]);

        var delivery = await WaitForDeliveryStatusAsync(endpoint["id"]!.GetValue<string>(), "delivered");
        Assert.Equal(200, delivery["attempt_log"]![0]!["status_code"]!.GetValue<int>());
        var alert = await _client.WaitForFieldAsync($"/api/v1/alerts/{payload["alert_id"]!.GetValue<string>()}", "notified_at");
        Assert.Equal("2026-03-27T14:00:00.000000Z", alert["notified_at"]!.GetValue<string>());
        await Task.Delay(300);
        Assert.Single(_receiver.Requests); // the email-only rule's alert is not sent to webhooks
    }

    [Fact]
    public async Task FailingReceiver_IsRetriedWithBackoff_ThenDelivered()
    {
        _receiver.Behavior = n => (n <= 2 ? 503 : 200, TimeSpan.Zero);
        var endpoint = await CreateEndpointAsync();
        var id = endpoint["id"]!.GetValue<string>();
        await _client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
        await _receiver.WaitForAsync(1);
        await WaitForAttemptsAsync(id, 1);
        await Task.Delay(1500);
        Assert.Single(_receiver.Requests); // not before the backoff has passed

        _app.Time.Advance(TimeSpan.FromSeconds(13));
        await _receiver.WaitForAsync(2);
        await WaitForAttemptsAsync(id, 2);
        _app.Time.Advance(TimeSpan.FromSeconds(25));
        await _receiver.WaitForAsync(3);
        var delivery = await WaitForDeliveryStatusAsync(id, "delivered");
        Assert.Equal([503, 503, 200], delivery["attempt_log"]!.AsArray().Select(a => a!["status_code"]!.GetValue<int>()));
        Assert.Single(_receiver.Requests.Select(r => r.Headers["X-Immutable-Delivery"]).Distinct());
        Assert.All(_receiver.Requests, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task Gone_PausesTheEndpoint_AndTimeouts_AndTheCap_DeadLetter()
    {
        _receiver.Behavior = _ => (410, TimeSpan.Zero);
        var gone = await CreateEndpointAsync();
        var goneId = gone["id"]!.GetValue<string>();
        await _client.PostAsync($"/api/v1/webhook-endpoints/{goneId}/test", null);
        await WaitForDeliveryStatusAsync(goneId, "dead");
        var paused = (await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{goneId}"))["data"]!;
        Assert.NotNull(paused["paused_at"]);
        Assert.Contains("410", paused["paused_reason"]!.GetValue<string>(), StringComparison.Ordinal);

        _receiver.Behavior = _ => (200, TimeSpan.FromSeconds(3));
        var slow = await CreateEndpointAsync();
        var slowId = slow["id"]!.GetValue<string>();
        await _client.PostAsync($"/api/v1/webhook-endpoints/{slowId}/test", null);
        for (var i = 0; i < 3; i++)
        {
            await _receiver.WaitForAsync(2 + i);
            await WaitForAttemptsAsync(slowId, i + 1);
            _app.Time.Advance(TimeSpan.FromMinutes(2));
        }
        var dead = await WaitForDeliveryStatusAsync(slowId, "dead");
        Assert.Equal(3, dead["attempts"]!.GetValue<int>());
        Assert.All(dead["attempt_log"]!.AsArray(), a => Assert.Contains("timed out", a!["error"]!.GetValue<string>(), StringComparison.Ordinal));

        _receiver.Behavior = _ => (200, TimeSpan.Zero);
        var redeliver = await _client.PostAsync($"/api/v1/deliveries/{dead["id"]!.GetValue<string>()}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var delivered = await WaitForDeliveryStatusAsync(slowId, "delivered");
        Assert.Equal(4, delivered["attempt_log"]!.AsArray().Count);
    }

    [Fact]
    public async Task Redirects_AreNeverFollowed()
    {
        _receiver.Behavior = _ => (302, TimeSpan.Zero);
        var endpoint = await CreateEndpointAsync();
        var id = endpoint["id"]!.GetValue<string>();
        await _client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
        await _receiver.WaitForAsync(1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonNode? delivery = null;
        while (clock.ElapsedMilliseconds < 5000)
        {
            delivery = (await DeliveriesAsync(id)).FirstOrDefault();
            if (delivery?["attempts"]?.GetValue<int>() >= 1) break;
            await Task.Delay(50);
        }
        Assert.Equal(302, delivery!["attempt_log"]![0]!["status_code"]!.GetValue<int>());
        Assert.Equal("pending", delivery["status"]!.GetValue<string>()); // retried later, never followed
        await Task.Delay(500);
        Assert.Equal(0, _receiver.RedirectHits);
    }

    [Fact]
    public async Task EndpointThatKeepsFailing_IsPaused_AndAdminsAreToldByEmail()
    {
        _receiver.Behavior = _ => (503, TimeSpan.Zero);
        var endpoint = await CreateEndpointAsync();
        var id = endpoint["id"]!.GetValue<string>();
        await _client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
        await _client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
        await _receiver.WaitForAsync(2);
        await WaitForAttemptsAsync(id, 2);
        _app.Time.Advance(TimeSpan.FromSeconds(15));
        await _receiver.WaitForAsync(4);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonNode state;
        do
        {
            state = (await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{id}"))["data"]!;
            if (state["paused_at"] is not null) break;
            await Task.Delay(50);
        }
        while (clock.ElapsedMilliseconds < 5000);
        Assert.Contains("4 failed attempts in a row", state["paused_reason"]!.GetValue<string>(), StringComparison.Ordinal);

        using var db = _app.OpenStore();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT reason FROM email_items WHERE kind = 'webhook endpoint'";
        Assert.Contains(_receiver.Url, (string)cmd.ExecuteScalar()!, StringComparison.Ordinal);

        // Paused: nothing more is sent until an admin enables it again.
        _app.Time.Advance(TimeSpan.FromMinutes(10));
        await Task.Delay(1500);
        Assert.Equal(4, _receiver.Requests.Count);
        _receiver.Behavior = _ => (200, TimeSpan.Zero);
        var resume = await _client.PutAsync($"/api/v1/webhook-endpoints/{id}", new StringContent($$"""{"url":"{{_receiver.Url}}","enabled":true}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Null((await resume.ReadJsonAsync())["data"]!["paused_at"]);
        await _receiver.WaitForAsync(5);
    }

    [Fact]
    public async Task ObservationNotification_IsDeliveredWithoutPersonalData()
    {
        await CreateEndpointAsync(types: """["observations"]""");
        var monitor = await _client.PostJsonAsync("/api/v1/monitors", """{"name":"Volume","thresholds":[{"value":1,"severity":"high"}],"channels":["webhook"]}""");
        Assert.Equal(HttpStatusCode.Created, monitor.StatusCode);
        await _client.PostJsonAsync("/api/v1/events/batch", """{"events":[{"actor_id":"jordan.lee@acme.io","action":"query.run","occurred_at":"2026-03-27T10:00:00Z"},{"actor_id":"jordan.lee@acme.io","action":"query.run","occurred_at":"2026-03-27T10:01:00Z"}]}""");
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Immutable.Web.Monitors.MonitorEvaluator>(_app.Services).EvaluateAsync(default);
        var received = await _receiver.WaitForAsync(1);
        Assert.True(received.SignatureValid);
        Assert.DoesNotContain("jordan", received.Body, StringComparison.OrdinalIgnoreCase);
        var payload = JsonNode.Parse(received.Body)!;
        Assert.Equal(("observation.created", "USER", "HIGH"), (payload["event_type"]!.GetValue<string>(), payload["observedResource"]!["type"]!.GetValue<string>(), payload["severity"]!.GetValue<string>()));
    }
}

public sealed class WebhookRestartTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-outbox-").FullName;

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private ImmutableAppFactory Host(bool allowLocal) => new ImmutableAppFactory(_data)
        .With("Webhooks:AllowedPrivateHosts:0", allowLocal ? "127.0.0.1" : "192.0.2.1")
        .With("Webhooks:TimeoutSeconds", "1");

    [Fact]
    public async Task PendingDeliveries_SurviveARestart_AndTheGuardChecksAgainAtConnectTime()
    {
        var port = AppProcess.FreePort();
        string key, endpointId;
        using (var first = Host(allowLocal: true))
        {
            key = (await first.CreateKeyAsync("acme")).Key;
            var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var created = await (await client.PostJsonAsync("/api/v1/webhook-endpoints", $$"""{"url":"http://127.0.0.1:{{port}}/hook"}""")).ReadJsonAsync();
            endpointId = created["data"]!["id"]!.GetValue<string>();
            await client.PostAsync($"/api/v1/webhook-endpoints/{endpointId}/test", null); // nobody listens yet
            var waited = System.Diagnostics.Stopwatch.StartNew();
            JsonNode pending;
            do
            {
                pending = (await client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]![0]!;
                if (pending["attempts"]!.GetValue<int>() >= 1) break;
                await Task.Delay(25);
            }
            while (waited.ElapsedMilliseconds < 10_000);
            Assert.Equal("pending", pending["status"]!.GetValue<string>());
            Assert.Equal(1, pending["attempts"]!.GetValue<int>());
        }

        await using var receiver = await WebhookReceiver.StartAsync(port);
        using (var second = Host(allowLocal: true))
        {
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            second.Time.Advance(TimeSpan.FromMinutes(5));
            await receiver.WaitForAsync(1);
        }

        using (var third = Host(allowLocal: false))
        {
            var client = third.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.PostAsync($"/api/v1/webhook-endpoints/{endpointId}/test", null);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            JsonNode? latest = null;
            while (clock.ElapsedMilliseconds < 10_000)
            {
                latest = (await client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]![0];
                if (latest!["status"]!.GetValue<string>() == "dead") break;
                await Task.Delay(50);
            }
            Assert.Equal("dead", latest!["status"]!.GetValue<string>());
            Assert.Contains("blocked", latest["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Single(receiver.Requests); // the ping after the allow-list was emptied never left
        }
    }
}
