using System.Net;
using System.Text;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

/// <summary>Per-workspace event schemas: strict rejects unknown actions, permissive stores them flagged.</summary>
public sealed class EventSchemaTests : IAsyncLifetime
{
    private readonly ImmutableAppFactory _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.CreateWorkspaceClientAsync("acme");

    public Task DisposeAsync()
    {
        _app.Dispose();
        return Task.CompletedTask;
    }

    private async Task SetSchemaAsync(string json)
    {
        var response = await _client.PutAsync("/api/v1/settings/event-schema", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<int> CountAsync(string action) =>
        (await _client.GetJsonAsync($"/api/v1/events?action={action}"))["pagination"]!["total"]!.GetValue<int>();

    [Fact]
    public async Task Strict_UnknownAction_Is422WithTheMessage_AndNothingIsStored()
    {
        await SetSchemaAsync("""{"mode":"strict","patterns":["document.*","auth.login"]}""");
        await _client.IngestAsync(new { actor_id = "u", action = "document.created" });
        await _client.IngestAsync(new { actor_id = "u", action = "auth.login" });

        var response = await _client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "billing.paid" });
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("validation_failed", body["error"]!.GetValue<string>());
        Assert.Equal("Action 'billing.paid' does not match any configured schema pattern.", body["message"]!.GetValue<string>());
        Assert.Equal("action", body["violations"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync("billing.paid"));
    }

    [Fact]
    public async Task Strict_BatchWithOneUnknownAction_Is422NamingTheItem_AndStoresNone()
    {
        await SetSchemaAsync("""{"mode":"strict","patterns":["document.*"]}""");
        var response = await _client.PostJsonAsync("/api/v1/events/batch", """
            {"events":[{"actor_id":"u","action":"document.created"},{"actor_id":"u","action":"billing.paid"},{"actor_id":"u","action":"document.read"}]}
            """);
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var violation = Assert.Single(body["violations"]!.AsArray())!;
        Assert.Equal("events[1].action", violation["field"]!.GetValue<string>());
        Assert.Equal("Action 'billing.paid' does not match any configured schema pattern.", violation["message"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync("document.*"));
    }

    [Fact]
    public async Task Permissive_UnknownAction_IsStoredFlagged_Filterable_AndTheChainVerifies()
    {
        await SetSchemaAsync("""{"mode":"permissive","patterns":["document.*"]}""");
        var ok = await _client.IngestAsync(new { actor_id = "u", action = "document.created" });
        var flagged = await _client.IngestAsync(new { actor_id = "u", action = "billing.paid" });

        Assert.True((await _client.GetJsonAsync($"/api/v1/events/{flagged}"))["data"]!["schema_violation"]!.GetValue<bool>());
        Assert.False((await _client.GetJsonAsync($"/api/v1/events/{ok}"))["data"]!["schema_violation"]!.GetValue<bool>());
        var onlyFlagged = (await _client.GetJsonAsync("/api/v1/events?schema_violation=true"))["data"]!.AsArray();
        Assert.Equal([flagged], onlyFlagged.Select(e => e!["id"]!.GetValue<string>()));
        Assert.DoesNotContain(flagged, (await _client.GetJsonAsync("/api/v1/events?schema_violation=false"))["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
        await _client.GetJsonAsync("/api/v1/events?schema_violation=yes", HttpStatusCode.UnprocessableEntity);

        var verify = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());

        // The flag is part of the hashed content: clearing it in the database is a hash mismatch.
        using (var db = _app.OpenDatabase())
        {
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE events SET schema_violation = 0 WHERE id = $id";
            update.Parameters.AddWithValue("$id", flagged);
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        verify = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal(flagged, verify["breaks"]![0]!["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task NoPatterns_AcceptsEveryAction_AndStarAcceptsEverything()
    {
        await _client.IngestAsync(new { actor_id = "u", action = "anything.at_all" });
        await SetSchemaAsync("""{"mode":"strict","patterns":["*"]}""");
        await _client.IngestAsync(new { actor_id = "u", action = "billing.paid" });
        await SetSchemaAsync("""{"mode":"strict","patterns":[]}""");
        await _client.IngestAsync(new { actor_id = "u", action = "billing.refunded" });
    }

    [Theory]
    [InlineData("""{"mode":"loose","patterns":[]}""", "mode")]
    [InlineData("""{"patterns":[]}""", "mode")]
    [InlineData("""{"mode":"strict"}""", "patterns")]
    [InlineData("""{"mode":"strict","patterns":["doc created"]}""", "patterns[0]")]
    [InlineData("""{"mode":"strict","patterns":[7]}""", "patterns[0]")]
    [InlineData("""{"mode":"strict","patterns":["document.*","auth..login"]}""", "patterns[1]")]
    [InlineData("""{"mode":"strict","patterns":["***"]}""", "patterns[0]")]
    public async Task Schema_BadInput_Is422NamingTheField(string json, string field)
    {
        var response = await _client.PutAsync("/api/v1/settings/event-schema", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(field, body["violations"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Schema_Change_IsRecordedInTheChain_AndIsNotItselfSubjectToTheSchema()
    {
        await SetSchemaAsync("""{"mode":"strict","patterns":["document.*"]}""");
        await SetSchemaAsync("""{"mode":"permissive","patterns":["document.*","auth.*"]}""");
        var changes = (await _client.GetJsonAsync("/api/v1/events?action=workspace.event_schema_updated&order=asc"))["data"]!.AsArray();
        Assert.Equal(2, changes.Count);
        Assert.Equal("strict", changes[1]!["metadata"]!["before"]!["mode"]!.GetValue<string>());
        Assert.Equal("permissive", changes[1]!["metadata"]!["after"]!["mode"]!.GetValue<string>());
        Assert.False(changes[1]!["schema_violation"]!.GetValue<bool>());
    }
}
