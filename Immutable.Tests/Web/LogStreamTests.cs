using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// Log streams: every ingested event to a signed webhook through the outbox, against a real receiver. The worker takes
/// events right behind ingest from memory (the chain writer's committed tail); <see cref="LogStreamFromStoreTests"/> runs
/// the same tests with that memory off, so every event is read back from the store.
/// </summary>
public class LogStreamTests : IAsyncLifetime
{
    protected virtual ImmutableAppFactory Configure(ImmutableAppFactory app) => app;

    private ImmutableAppFactory _app = null!;
    private WebhookReceiver _receiver = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _app = Configure(new ImmutableAppFactory()
            .With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1")
            .With("Webhooks:TimeoutSeconds", "30") // a held request (Gate) stays one attempt
            .With("LogStreams:MaxEventsPerDelivery", MaxEventsPerDelivery.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _client = await _app.CreateWorkspaceClientAsync("acme");
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _receiver.DisposeAsync();
    }

    /// <summary>A small cap, so that a few events show how a stream that is behind splits its deliveries.</summary>
    private const int MaxEventsPerDelivery = 4;

    private async Task<JsonNode> CreateStreamAsync()
    {
        var response = await _client.PostJsonAsync("/api/v1/log-streams", $$"""{"type":"webhook","url":"{{_receiver.Url}}"}""");
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        _receiver.Secret = body["data"]!["secret"]!.GetValue<string>();
        return body["data"]!;
    }

    /// <summary>The events one POST carried: one (event.created) or several (event.batch).</summary>
    private static IEnumerable<JsonNode> EventsOf(string body)
    {
        var node = JsonNode.Parse(body)!;
        return node["event_type"]!.GetValue<string>() == "event.batch" ? node["events"]!.AsArray().Select(e => e!) : [node];
    }

    /// <summary>Waits for the POST that carries the event with this id (streams carry every event of the chain, the
    /// product's own audit records included, so other POSTs may come first).</summary>
    private async Task<WebhookReceiver.Received> WaitForEventAsync(Func<JsonNode, bool> match)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 10_000)
        {
            var hit = _receiver.Requests.FirstOrDefault(r => r.AnsweredWith < 300 && EventsOf(r.Body).Any(e => match(e["data"]!)));
            if (hit is not null) return hit;
            await Task.Delay(25);
        }
        Assert.Fail("the event never arrived: " + string.Join("\n", _receiver.Requests.Select(r => r.Body)));
        return null!;
    }

    private async Task<JsonNode> CreateStreamAndWaitForItsRecordAsync()
    {
        var stream = await CreateStreamAsync();
        // Its own creation record is the first event it carries.
        await WaitForEventAsync(e => e["action"]!.GetValue<string>() == "log_stream.created");
        return stream;
    }

    private async Task<JsonArray> DeliveriesAsync(string id) => (await _client.GetJsonAsync($"/api/v1/log-streams/{id}/deliveries"))["data"]!.AsArray();

    private async Task WaitForAttemptsAsync(string id, int attempts)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 10_000)
        {
            if ((await DeliveriesAsync(id)).Sum(d => d!["attempt_log"]!.AsArray().Count) >= attempts) return;
            await Task.Delay(25);
        }
        Assert.Fail($"expected {attempts} attempt(s): {(await DeliveriesAsync(id)).ToJsonString()}");
    }

    [Fact]
    public async Task Stream_EveryIngestedEvent_ArrivesSignedInTheEventEnvelope()
    {
        var before = await _client.IngestAsync(new { actor_id = "u", action = "auth.login" }); // before the stream: not sent
        var stream = await CreateStreamAndWaitForItsRecordAsync();
        Assert.Equal("active", stream["status"]!.GetValue<string>());
        Assert.Null((await _client.GetJsonAsync($"/api/v1/log-streams/{stream["id"]}"))["data"]!["secret"]);

        var id = await _client.IngestAsync(new
        {
            actor_id = "u1", actor_name = "Ana", actor_type = "user", action = "document.created", action_category = "content",
            resource = "document", resource_id = "doc_1", resource_name = "Plan", tenant_id = "t_alpha", session_id = "s_1",
            ip_address = "81.2.69.142", user_agent = "Mozilla/5.0", version = 2, occurred_at = "2026-03-27T16:32:18.291034+02:00",
            targets = new object[] { new { type = "customer", id = "cus_1", name = "Acme", metadata = new { tier = "gold", n = 1.50 } }, new { type = "team" } },
            metadata = new { reason = "é \u2028 \"quoted\"", amount = 12.5, tags = new[] { "b", "a" } },
        });
        var received = await WaitForEventAsync(e => e["id"]!.GetValue<string>() == id);
        // Byte for byte the event the API returns for it, whichever way the worker took it (memory or store).
        var stored = (await _client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(stored.ToJsonString(), JsonNode.Parse(received.Body)!["data"]!.ToJsonString());
        Assert.True(received.SignatureValid);
        Assert.Equal("event.created", received.Headers["X-Immutable-Event"]);
        Assert.StartsWith("t=", received.Headers["X-Immutable-Signature-Timestamped"]);
        var body = JsonNode.Parse(received.Body)!;
        Assert.Equal("event.created", body["event_type"]!.GetValue<string>());
        Assert.Equal(id, body["data"]!["id"]!.GetValue<string>());
        Assert.Equal("Ana", body["data"]!["actor_name"]!.GetValue<string>());
        Assert.Equal("GB", body["data"]!["ip_country"]!.GetValue<string>());
        Assert.NotNull(body["data"]!["integrity"]!["event_hash"]);
        Assert.StartsWith("ws_", body["workspace_id"]!.GetValue<string>());
        Assert.NotNull(body["timestamp"]);
        Assert.DoesNotContain(_receiver.Requests, r => r.Body.Contains(before, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_EventsCommittedTogether_GoInOneSignedBatch()
    {
        var stream = await CreateStreamAndWaitForItsRecordAsync();
        var events = Enumerable.Range(0, MaxEventsPerDelivery).Select(i => new { actor_id = "u", action = "document.read", resource_id = $"doc_{i}" }).ToArray();
        var response = await _client.PostJsonAsync("/api/v1/events/batch", new { events });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ids = (await response.ReadJsonAsync())["events"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList();

        var received = await WaitForEventAsync(e => e["id"]!.GetValue<string>() == ids[0]);
        Assert.True(received.SignatureValid);
        Assert.Equal("event.batch", received.Headers["X-Immutable-Event"]);
        var body = JsonNode.Parse(received.Body)!;
        Assert.Equal("event.batch", body["event_type"]!.GetValue<string>());
        var items = body["events"]!.AsArray();
        Assert.Equal(ids, items.Select(e => e!["data"]!["id"]!.GetValue<string>()));
        Assert.All(items, e => Assert.Equal("event.created", e!["event_type"]!.GetValue<string>()));
        foreach (var item in items)
        {
            var stored = (await _client.GetJsonAsync($"/api/v1/events/{item!["data"]!["id"]}"))["data"]!;
            Assert.Equal(stored.ToJsonString(), item["data"]!.ToJsonString());
        }
        Assert.Equal(2, (await DeliveriesAsync(stream["id"]!.GetValue<string>())).Count); // its creation record, then the batch
    }

    [Fact]
    public async Task Stream_MoreEventsThanOneDeliveryHolds_SplitsThemIntoChainRuns_EachOnce()
    {
        await CreateStreamAndWaitForItsRecordAsync();
        var count = 3 * MaxEventsPerDelivery + 1;
        var events = Enumerable.Range(0, count).Select(i => new { actor_id = "u", action = "document.read", resource_id = $"doc_{i}" }).ToArray();
        var response = await _client.PostJsonAsync("/api/v1/events/batch", new { events });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ids = (await response.ReadJsonAsync())["events"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList();

        // Deliveries go out in parallel: wait until every event has arrived, not just the last one.
        foreach (var id in ids) await WaitForEventAsync(e => e["id"]!.GetValue<string>() == id);
        var posts = _receiver.Requests.Where(r => r.AnsweredWith < 300)
            .Select(r => EventsOf(r.Body).Select(e => e["data"]!["id"]!.GetValue<string>()).ToList())
            .Where(carried => carried.Any(ids.Contains)).ToList();
        Assert.All(posts, carried => Assert.InRange(carried.Count, 1, MaxEventsPerDelivery));
        Assert.True(posts.Count >= 4, $"{count} events in {posts.Count} POST(s) of at most {MaxEventsPerDelivery}");
        // Each POST carries a run of the chain in order; deliveries go out in parallel, so POSTs may arrive in any order.
        var runs = posts.Select(carried => carried.Where(ids.Contains).ToList()).OrderBy(run => ids.IndexOf(run[0])).ToList();
        Assert.All(runs, run => Assert.Equal(ids.Skip(ids.IndexOf(run[0])).Take(run.Count), run));
        Assert.Equal(ids, runs.SelectMany(run => run).ToList()); // every event once
    }

    [Fact]
    public async Task Stream_ThreeFailuresInARow_GoesToError_StopsAndEmails_ThenResumesWhenEnabled()
    {
        var stream = await CreateStreamAndWaitForItsRecordAsync();
        var id = stream["id"]!.GetValue<string>();
        _receiver.Behavior = _ => (400, TimeSpan.Zero);
        for (var i = 1; i <= 3; i++)
        {
            await _client.IngestAsync(new { actor_id = "u", action = "document.read", resource_id = $"doc_{i}" });
            await WaitForAttemptsAsync(id, 1 + i);
        }
        var errored = (await _client.GetJsonAsync($"/api/v1/log-streams/{id}"))["data"]!;
        Assert.Equal("error", errored["status"]!.GetValue<string>());
        Assert.Contains("3 failed attempts in a row", errored["error_reason"]!.GetValue<string>());
        using (var db = _app.OpenDatabase())
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT title FROM email_items WHERE kind = 'log stream' AND record_id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            Assert.Equal("Log stream stopped", cmd.ExecuteScalar());
        }

        // Stopped: a new event is not put in the outbox while the stream is in error.
        var held = await _client.IngestAsync(new { actor_id = "u", action = "document.read", resource_id = "doc_held" });
        await _app.Services.GetRequiredService<LogStreamWorker>().PumpAsync(everyWorkspace: true, CancellationToken.None);
        Assert.Equal(4, (await DeliveriesAsync(id)).Count);

        // Enabled again: it resumes where it stopped.
        _receiver.Behavior = _ => (200, TimeSpan.Zero);
        var put = await _client.PutAsync($"/api/v1/log-streams/{id}", new StringContent($$"""{"url":"{{_receiver.Url}}","enabled":true}""", Encoding.UTF8, "application/json"));
        Assert.Equal("active", (await put.ReadJsonAsync())["data"]!["status"]!.GetValue<string>());
        var resumed = await WaitForEventAsync(e => e["id"]!.GetValue<string>() == held);
        Assert.True(resumed.SignatureValid);

        var audit = (await _client.GetJsonAsync("/api/v1/events?action=log_stream.*&order=asc"))["data"]!.AsArray();
        Assert.Equal(["log_stream.created", "log_stream.updated"], audit.Select(e => e!["action"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Stream_ReceiverThatDoesNotAnswer_NeverHoldsIngest_AndGetsEveryEventOnceItAnswers()
    {
        var stream = await CreateStreamAndWaitForItsRecordAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answeredBefore = _receiver.Answered;
        _receiver.Gate = gate.Task;
        var first = await _client.IngestAsync(new { actor_id = "u", action = "document.read", resource_id = "doc_first" });
        await WaitForEventAsync(e => e["id"]!.GetValue<string>() == first); // received, held: the stream is stuck on it

        // Every event is acknowledged (committed, readable) while the receiver has answered nothing since: the 202 never
        // waits for the stream.
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
            ids.Add(await _client.IngestAsync(new { actor_id = "u", action = "document.read", resource_id = $"doc_{i}" }));
        foreach (var id in ids) await _client.GetJsonAsync($"/api/v1/events/{id}");
        Assert.Equal(answeredBefore, _receiver.Answered);

        gate.SetResult();
        foreach (var id in ids) await WaitForEventAsync(e => e["id"]!.GetValue<string>() == id);
        var status = (await _client.GetJsonAsync($"/api/v1/log-streams/{stream["id"]}"))["data"]!["status"]!.GetValue<string>();
        Assert.Equal("active", status);
    }

    [Fact]
    public async Task Stream_BadInput_Is422_AndStreamsAreNotWebhookEndpoints()
    {
        var bad = await _client.PostJsonAsync("/api/v1/log-streams", """{"type":"s3","url":"https://example.com/x"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("type", (await bad.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
        var privateUrl = await _client.PostJsonAsync("/api/v1/log-streams", """{"url":"http://10.0.0.5/hook"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, privateUrl.StatusCode);

        var stream = await CreateStreamAsync();
        Assert.Empty((await _client.GetJsonAsync("/api/v1/webhook-endpoints"))["data"]!.AsArray());
        await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{stream["id"]}", HttpStatusCode.NotFound);
        Assert.Single((await _client.GetJsonAsync("/api/v1/log-streams"))["data"]!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/log-streams/{stream["id"]}")).StatusCode);
        Assert.Empty((await _client.GetJsonAsync("/api/v1/log-streams"))["data"]!.AsArray());
    }
}

/// <summary>The log stream tests with the committed-event memory off: the worker reads every event back from the store.</summary>
public sealed class LogStreamFromStoreTests : LogStreamTests
{
    protected override ImmutableAppFactory Configure(ImmutableAppFactory app) => app.With("Storage:CommittedTailEvents", "0");
}
