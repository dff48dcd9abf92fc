using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

[Trait("Postgres", "run")]
public class IngestApiTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private Task<HttpClient> NewWorkspaceAsync() => app.CreateWorkspaceClientAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);

    private async Task<long> CountEventsAsync()
    {
        using var db = app.OpenStore();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task PostEvent_EveryField_IsStoredAndReturnedInTheSupersetShape()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", """
            {"actor_id":"user_5a3c8f","actor_name":"Jordan Lee","actor_type":"user","action":"invoice.forceDeleted",
             "action_category":"billing","resource":"invoice","resource_id":"inv_42","resource_name":"March invoice",
             "targets":[{"type":"customer","id":"cus_1","name":"Acme","metadata":{"tier":"gold"}},{"type":"team"}],
             "metadata":{"reason":"duplicate","amount":12.5,"tags":["a","b"]},"tenant_id":"t_1","session_id":"s_1",
             "idempotency_key":"k-all-fields","version":3,"occurred_at":"2026-03-27T16:32:18.291034+02:00",
             "ip_address":"81.2.69.142","user_agent":"Mozilla/5.0","unknown_future_field":true}
            """);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.ReadJsonAsync();
        Assert.Equal("queued", accepted["status"]!.GetValue<string>());
        var id = accepted["id"]!.GetValue<string>();
        Assert.True(Guid.TryParse(id, out var guid) && guid.ToString("D") == id && id[14] == '4', "id is a lowercase UUID v4");

        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal("user_5a3c8f", e["actor"]!["id"]!.GetValue<string>());
        Assert.Equal("Jordan Lee", e["actor"]!["name"]!.GetValue<string>());
        Assert.Equal("Jordan Lee", e["actor_name"]!.GetValue<string>());
        Assert.Equal("user", e["actor_type"]!.GetValue<string>());
        Assert.Equal("invoice.forceDeleted", e["action"]!.GetValue<string>());
        Assert.Equal("billing", e["action_category"]!.GetValue<string>());
        Assert.Equal("""{"type":"invoice","id":"inv_42","name":"March invoice"}""", e["resource"]!.ToJsonString());
        Assert.Equal("""[{"id":"cus_1","metadata":{"tier":"gold"},"name":"Acme","type":"customer"},{"id":null,"metadata":null,"name":null,"type":"team"}]""", e["targets"]!.ToJsonString());
        Assert.Equal("""{"amount":12.5,"reason":"duplicate","tags":["a","b"]}""", e["metadata"]!.ToJsonString());
        Assert.Equal("t_1", e["tenant_id"]!.GetValue<string>());
        Assert.Equal("s_1", e["session_id"]!.GetValue<string>());
        Assert.Equal("k-all-fields", e["idempotency_key"]!.GetValue<string>());
        Assert.Equal(3, e["version"]!.GetValue<int>());
        Assert.Equal("2026-03-27T14:32:18.291034Z", e["occurred_at"]!.GetValue<string>());
        Assert.Equal("81.2.69.142", e["ip_address"]!.GetValue<string>());
        Assert.Equal("GB", e["ip_country"]!.GetValue<string>());
        Assert.Equal("Mozilla/5.0", e["user_agent"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", e["integrity"]!["event_hash"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", e["created_at"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostEvent_WithoutOccurredAt_UsesReceiveTime()
    {
        var client = await NewWorkspaceAsync();
        var id = await client.IngestAsync(new { actor_id = "u", action = "auth.login" });
        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(app.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture), e["occurred_at"]!.GetValue<string>());
        Assert.Equal(e["created_at"]!.GetValue<string>(), e["occurred_at"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { """{"action":"auth.login"}""", "actor_id", "is required" },
        { """{"actor_id":"u"}""", "action", "is required" },
        { """{"actor_id":null,"action":"a"}""", "actor_id", "is required" },
        { """{"actor_id":"  ","action":"a"}""", "actor_id", "must not be empty" },
        { """{"actor_id":42,"action":"a"}""", "actor_id", "must be a string" },
        { """{"actor_id":"u","action":["a"]}""", "action", "must be a string" },
        { """{"actor_id":"u","action":"has spaces"}""", "action", "dotted" },
        { """{"actor_id":"u","action":"a","actor_name":false}""", "actor_name", "must be a string" },
        { "{\"actor_id\":\"" + new string('x', 257) + "\",\"action\":\"a\"}", "actor_id", "at most 256" },
        { "{\"actor_id\":\"u\",\"action\":\"a\",\"resource_name\":\"" + new string('x', 1025) + "\"}", "resource_name", "at most 1024" },
        { """{"actor_id":"u","action":"a","metadata":[1]}""", "metadata", "must be an object" },
        { """{"actor_id":"u","action":"a","metadata":"x"}""", "metadata", "must be an object" },
        { "{\"actor_id\":\"u\",\"action\":\"a\",\"metadata\":{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"k{i}\":1")) + "}}", "metadata", "at most 50 top-level keys" },
        { "{\"actor_id\":\"u\",\"action\":\"a\",\"metadata\":{\"big\":\"" + new string('x', 65_600) + "\"}}", "metadata", "at most 65536 bytes" },
        { """{"actor_id":"u","action":"a","targets":{"type":"x"}}""", "targets", "must be an array" },
        { """{"actor_id":"u","action":"a","targets":[{"id":"1"}]}""", "targets[0].type", "is required" },
        { """{"actor_id":"u","action":"a","targets":[{"type":"x"},{"type":5}]}""", "targets[1].type", "must be a string" },
        { """{"actor_id":"u","action":"a","targets":["x"]}""", "targets[0]", "must be an object" },
        { """{"actor_id":"u","action":"a","targets":[{"type":"x","metadata":1}]}""", "targets[0].metadata", "must be an object" },
        { """{"actor_id":"u","action":"a","occurred_at":"yesterday"}""", "occurred_at", "ISO 8601" },
        { """{"actor_id":"u","action":"a","occurred_at":"2026-03-27"}""", "occurred_at", "ISO 8601" },
        { """{"actor_id":"u","action":"a","occurred_at":1711549938}""", "occurred_at", "must be a string" },
        { """{"actor_id":"u","action":"a","ip_address":"999.1.1.1"}""", "ip_address", "IPv4 or IPv6" },
        { """{"actor_id":"u","action":"a","ip_address":"1"}""", "ip_address", "IPv4 or IPv6" },
        { """{"actor_id":"u","action":"a","version":"3"}""", "version", "must be an integer" },
        { """{"actor_id":"u","action":"a","version":1.5}""", "version", "must be an integer" },
        { """[{"actor_id":"u","action":"a"}]""", "body", "must be a JSON object" },
        { "\"just a string\"", "body", "must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task PostEvent_InvalidField_Is422NamingTheFieldAndStoresNothing(string body, string field, string message)
    {
        var client = await NewWorkspaceAsync();
        var before = await CountEventsAsync();
        var response = await client.PostJsonAsync("/api/v1/events", body);
        var json = await response.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("validation_failed", json["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["message"]!.GetValue<string>()));
        var violation = Assert.Single(json["violations"]!.AsArray());
        Assert.Equal(field, violation!["field"]!.GetValue<string>());
        Assert.Contains(message, violation["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CountEventsAsync());
    }

    [Fact]
    public async Task PostEvent_SeveralBadFields_ReportsEachOne()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", """{"actor_id":1,"metadata":[],"ip_address":"x"}""");
        var fields = (await response.ReadJsonAsync())["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).Order();
        Assert.Equal(["action", "actor_id", "ip_address", "metadata"], fields);
    }

    [Theory]
    [InlineData("", "invalid_json")]
    [InlineData("   ", "invalid_json")]
    [InlineData("{\"actor_id\":", "invalid_json")]
    [InlineData("{'actor_id':'u'}", "invalid_json")]
    [InlineData("{\"actor_id\":\"u\",\"actor_id\":\"v\",\"action\":\"a\"}", "invalid_json")]
    public async Task PostEvent_MalformedOrEmptyJson_Is400InvalidJson(string body, string error)
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostEvent_WrongContentType_Is415WithEnvelope()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostAsync("/api/v1/events", new StringContent("""{"actor_id":"u","action":"a"}""", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostEvent_BodyOverOneMegabyte_Is413WithEnvelope()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", "{\"actor_id\":\"u\",\"action\":\"a\",\"user_agent\":\"" + new string('x', 1_100_000) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostEvent_SameIdempotencyKey_ReturnsFirstIdAsDuplicate()
    {
        var client = await NewWorkspaceAsync();
        var first = await client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "a.b", idempotency_key = "order-1" });
        var second = await client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "a.b", idempotency_key = "order-1" });
        var a = await first.ReadJsonAsync();
        var b = await second.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(("queued", "duplicate"), (a["status"]!.GetValue<string>(), b["status"]!.GetValue<string>()));
        Assert.Equal(a["id"]!.GetValue<string>(), b["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostEvent_ConcurrentRepeatsOfOneKey_StoreOneEvent()
    {
        var client = await NewWorkspaceAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ =>
            client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "payment.captured", idempotency_key = "pay-77" })));
        var bodies = await Task.WhenAll(responses.Select(r => r.ReadJsonAsync()));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(bodies.Select(b => b["id"]!.GetValue<string>()).Distinct());
        Assert.Equal(1, bodies.Count(b => b["status"]!.GetValue<string>() == "queued"));
        var list = await client.GetJsonAsync("/api/v1/events?action=payment.captured");
        Assert.Equal(1, list["pagination"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task PostEvent_IdempotencyKeysAreScopedPerWorkspace()
    {
        var a = await NewWorkspaceAsync();
        var b = await NewWorkspaceAsync();
        var first = await a.IngestAsync(new { actor_id = "u", action = "x", idempotency_key = "shared" });
        var second = await b.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "x", idempotency_key = "shared" });
        var body = await second.ReadJsonAsync();
        Assert.Equal("queued", body["status"]!.GetValue<string>());
        Assert.NotEqual(first, body["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostBatch_ReturnsIdsInInputOrder_AndStoresAll()
    {
        var client = await NewWorkspaceAsync();
        var events = Enumerable.Range(0, 100).Select(i => new { actor_id = $"u{i}", action = "doc.viewed" }).ToArray();
        var response = await client.PostJsonAsync("/api/v1/events/batch", new { events });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var results = (await response.ReadJsonAsync())["events"]!.AsArray();
        Assert.Equal(100, results.Count);
        for (var i = 0; i < 100; i += 33)
        {
            var e = (await client.GetJsonAsync($"/api/v1/events/{results[i]!["id"]!.GetValue<string>()}"))["data"]!;
            Assert.Equal($"u{i}", e["actor_id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task PostBatch_OneInvalidItem_RejectsAllWithIndexedPaths()
    {
        var client = await NewWorkspaceAsync();
        var before = await CountEventsAsync();
        var response = await client.PostJsonAsync("/api/v1/events/batch", """
            {"events":[{"actor_id":"u","action":"ok.one"},{"actor_id":"u"},{"actor_id":"u","action":"x","targets":[{}]}]}
            """);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var fields = (await response.ReadJsonAsync())["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>());
        Assert.Equal(["events[1].action", "events[2].targets[0].type"], fields);
        Assert.Equal(before, await CountEventsAsync());
    }

    [Theory]
    [InlineData("""{"events":[]}""", "events", "1 to 100")]
    [InlineData("""{}""", "events", "is required")]
    [InlineData("""{"events":{}}""", "events", "must be an array")]
    [InlineData("""[]""", "body", "JSON object")]
    public async Task PostBatch_BadEnvelope_Is422(string body, string field, string message)
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events/batch", body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = Assert.Single((await response.ReadJsonAsync())["violations"]!.AsArray())!;
        Assert.Equal(field, violation["field"]!.GetValue<string>());
        Assert.Contains(message, violation["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostBatch_Over100_Is422()
    {
        var client = await NewWorkspaceAsync();
        var events = Enumerable.Range(0, 101).Select(i => new { actor_id = "u", action = "a" }).ToArray();
        var response = await client.PostJsonAsync("/api/v1/events/batch", new { events });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("(has 101)", (await response.ReadJsonAsync())["violations"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostBatch_DuplicateKeyInsideOneBatch_StoresItOnce()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events/batch", new
        {
            events = new[] { new { actor_id = "u", action = "a", idempotency_key = "k" }, new { actor_id = "u", action = "a", idempotency_key = "k" } },
        });
        var results = (await response.ReadJsonAsync())["events"]!.AsArray();
        Assert.Equal(results[0]!["id"]!.GetValue<string>(), results[1]!["id"]!.GetValue<string>());
        Assert.Equal("duplicate", results[1]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConcurrentAppends_GetContiguousSequencesAndAValidChain()
    {
        var client = await NewWorkspaceAsync();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.IngestAsync(new { actor_id = $"u{i % 7}", action = "load.test" })));
        var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.Equal(200, verify["events_checked"]!.GetValue<int>());
        Assert.Equal(200, verify["last_sequence"]!.GetValue<long>());
    }

    [Fact]
    public async Task Errors_AlwaysCarryTheJsonEnvelope()
    {
        var anonymous = app.CreateClient();
        var client = await NewWorkspaceAsync();

        async Task Check(HttpResponseMessage r, HttpStatusCode status, string error)
        {
            Assert.Equal(status, r.StatusCode);
            Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
            var body = await r.ReadJsonAsync();
            Assert.Equal(error, body["error"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(body["message"]!.GetValue<string>()));
        }

        await Check(await anonymous.GetAsync("/api/v1/events"), HttpStatusCode.Unauthorized, "unauthenticated");
        await Check(await client.GetAsync("/api/v1/no-such-thing"), HttpStatusCode.NotFound, "not_found");
        await Check(await client.GetAsync($"/api/v1/events/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        await Check(await client.DeleteAsync("/api/v1/events"), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        var boom = await client.GetAsync("/__test/throw");
        await Check(boom, HttpStatusCode.InternalServerError, "internal_error");
        Assert.DoesNotContain("secret stack detail", await boom.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
