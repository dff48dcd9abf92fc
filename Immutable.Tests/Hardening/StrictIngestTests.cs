using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Hardening;

/// <summary>
/// What strict ingest still accepts, and how it stores it: RFC 3339 times normalised to UTC, standard address text,
/// integers beyond 2^53 digit for digit, invisible characters byte for byte. (What it rejects: <see cref="HostileCorpus"/>.)
/// </summary>
public class StrictIngestTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private Task<HttpClient> NewWorkspaceAsync() => app.CreateWorkspaceClientAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData("2026-03-27T16:32:18.291034+02:00", "2026-03-27T14:32:18.291034Z")]
    [InlineData("2026-03-27t12:00:00z", "2026-03-27T12:00:00.000000Z")]
    [InlineData("2026-03-27T12:00:00.123456789Z", "2026-03-27T12:00:00.123456Z")]
    [InlineData("2026-03-27T23:30:00-05:00", "2026-03-28T04:30:00.000000Z")]
    [InlineData("2026-03-28T00:30:00+14:00", "2026-03-27T10:30:00.000000Z")]
    [InlineData("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z")]
    public async Task OccurredAt_Rfc3339WithOffset_IsStoredInUtcMicroseconds(string sent, string stored)
    {
        var client = await NewWorkspaceAsync();
        var id = await client.IngestAsync(new { actor_id = "u", action = "a.b", occurred_at = sent });
        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(stored, e["occurred_at"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("81.2.69.142", "81.2.69.142")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [InlineData("::1", "::1")]
    [InlineData("::ffff:81.2.69.142", "81.2.69.142")]
    [InlineData("64:ff9b::81.2.69.142", "64:ff9b::5102:458e")]
    public async Task IpAddress_StandardText_IsStoredInItsStandardForm(string sent, string stored)
    {
        var client = await NewWorkspaceAsync();
        var id = await client.IngestAsync(new { actor_id = "u", action = "a.b", ip_address = sent });
        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(stored, e["ip_address"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metadata_IntegersBeyond2Pow53_AreStoredAndReturnedExactlyAsSent()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events", """
            {"actor_id":"u","action":"a.b","metadata":{"big":12345678901234567890123,"neg":-98765432109876543210987,"edge":9007199254740993,
             "safe":9007199254740992,"nested":{"list":[18446744073709551616,1]},"small":1e-7,"exp":1e21,"frac":2.50,"float_big":12345678901234567890123.0},
             "targets":[{"type":"invoice","metadata":{"amount_cents":123456789012345678901234567890}}]}
            """);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.ReadJsonAsync())["id"]!.GetValue<string>();

        // Raw text, not a parsed number: a JSON reader of doubles would hide the very rounding this guards against.
        var text = await (await client.GetAsync($"/api/v1/events/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("""
            "metadata":{"big":12345678901234567890123,"edge":9007199254740993,"exp":1e+21,"float_big":1.2345678901234568e+22,"frac":2.5,"neg":-98765432109876543210987,"nested":{"list":[18446744073709551616,1]},"safe":9007199254740992,"small":1e-7}
            """.Trim(), text, StringComparison.Ordinal);
        Assert.Contains("""{"amount_cents":123456789012345678901234567890}""", text, StringComparison.Ordinal);
        var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
    }

    [Fact]
    public async Task InvisibleCharacters_InActorNameAndOtherText_AreStoredByteIdentical()
    {
        const string name = "Ana\u202Egnp.exe\u200B\u2066x\u2069\uFEFF\u0007\u0085\u0000!";
        var client = await NewWorkspaceAsync();
        var id = await client.IngestAsync(new { actor_id = "u\u200D1", actor_name = name, action = "a.b", resource_name = name, metadata = new { note = name } });

        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal(name, e["actor_name"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal(name, e["actor"]!["name"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal(name, e["resource_name"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal("u\u200D1", e["actor_id"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal(name, e["metadata"]!["note"]!.GetValue<string>(), StringComparer.Ordinal);

        using var db = app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT CAST(actor_name AS BLOB) FROM events WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        Assert.Equal(Encoding.UTF8.GetBytes(name), (byte[])cmd.ExecuteScalar()!);

        var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
    }

    [Fact]
    public async Task UnreadableText_IsRejectedWithThePath_NotStoredAsReplacementCharacters()
    {
        var client = await NewWorkspaceAsync();
        var response = await client.PostJsonAsync("/api/v1/events/batch",
            """{"events":[{"actor_id":"u","action":"a.b"},{"actor_id":"u","action":"a.b","metadata":{"who":{"names":["ok","\ud800"]}}}]}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = Assert.Single((await response.ReadJsonAsync())["violations"]!.AsArray())!;
        Assert.Equal("events[1].metadata.who.names[1]", violation["field"]!.GetValue<string>());
        Assert.Contains("surrogate", violation["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync("/api/v1/events"))["data"]!.AsArray());
    }
}
