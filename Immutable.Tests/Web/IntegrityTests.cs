using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

/// <summary>Tampering done the way an attacker with the database would: SQL straight into the SQLite file or the PostgreSQL database.</summary>
[Trait("Postgres", "run")]
public class IntegrityTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<(HttpClient Client, List<string> Ids)> SeedAsync(int count = 6)
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var ids = new List<string>();
        for (var i = 1; i <= count; i++) ids.Add(await client.IngestAsync(new { actor_id = "u", action = $"doc.e{i}", metadata = new { n = i } }));
        return (client, ids);
    }

    private void Sql(string sql)
    {
        using var db = _app.OpenStore();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> VerifyAsync(HttpClient client) => (await client.GetJsonAsync("/api/v1/verify"))["data"]!;

    private static List<(string Id, string Type)> Breaks(System.Text.Json.Nodes.JsonNode v) =>
        v["breaks"]!.AsArray().Select(b => (b!["event_id"]!.GetValue<string>(), b["type"]!.GetValue<string>())).ToList();

    [Fact]
    public async Task Verify_UntouchedStore_IsValid()
    {
        var (client, _) = await SeedAsync();
        var v = await VerifyAsync(client);
        Assert.True(v["valid"]!.GetValue<bool>());
        Assert.Equal(6, v["events_checked"]!.GetValue<int>());
        Assert.Empty(v["breaks"]!.AsArray());
    }

    [Fact]
    public async Task Verify_EditedField_ReportsHashMismatchOnThatEvent()
    {
        var (client, ids) = await SeedAsync();
        Sql($"UPDATE events SET actor_id = 'mallory' WHERE id = '{ids[2]}'");
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Equal([(ids[2], "hash_mismatch")], Breaks(v));
        var b = v["breaks"]![0]!;
        Assert.NotEqual(b["expected_hash"]!.GetValue<string>(), b["actual_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verify_EditedGeoField_IsCoveredByTheHash()
    {
        var (client, ids) = await SeedAsync();
        Sql($"UPDATE events SET ip_country = 'RO' WHERE id = '{ids[0]}'");
        Assert.Equal([(ids[0], "hash_mismatch")], Breaks(await VerifyAsync(client)));
    }

    [Fact]
    public async Task Verify_DeletedRow_ReportsChainBreakAtTheFollowingEvent()
    {
        var (client, ids) = await SeedAsync();
        Sql($"DELETE FROM events WHERE id = '{ids[3]}'");
        var v = await VerifyAsync(client);
        Assert.Equal([(ids[4], "chain_break")], Breaks(v));
        Assert.Equal(5, v["events_checked"]!.GetValue<int>());
    }

    [Fact]
    public async Task Verify_InsertedRow_IsReported()
    {
        var (client, ids) = await SeedAsync();
        // A forged row in the middle: shift later sequences up by one and slot it in, linked to its predecessor.
        Sql("""
            UPDATE events SET sequence = sequence + 1000 WHERE sequence > 3;
            UPDATE events SET sequence = sequence - 999 WHERE sequence > 1000;
            INSERT INTO events (id, workspace_id, sequence, actor_id, action, occurred_at, created_at, previous_event_hash, event_hash, schema_violation)
            SELECT '11111111-1111-4111-8111-111111111111', workspace_id, 4, 'mallory', 'doc.forged', occurred_at, created_at, event_hash, 'deadbeef', schema_violation
            FROM events WHERE sequence = 3;
            """);
        var v = await VerifyAsync(client);
        var breaks = Breaks(v);
        Assert.Contains(("11111111-1111-4111-8111-111111111111", "hash_mismatch"), breaks);
        Assert.Contains((ids[3], "chain_break"), breaks);
    }

    [Fact]
    public async Task Verify_ReorderedRows_AreReported()
    {
        var (client, ids) = await SeedAsync();
        Sql("""
            UPDATE events SET sequence = -1 WHERE sequence = 2;
            UPDATE events SET sequence = 2 WHERE sequence = 3;
            UPDATE events SET sequence = 3 WHERE sequence = -1;
            """);
        var breaks = Breaks(await VerifyAsync(client));
        Assert.Contains((ids[1], "hash_mismatch"), breaks);
        Assert.Contains((ids[2], "hash_mismatch"), breaks);
        Assert.Contains(breaks, b => b.Type == "chain_break");
    }

    [Fact]
    public async Task Verify_Limit_ChecksARunAndSaysThereIsMore()
    {
        var (client, _) = await SeedAsync();
        var v = (await client.GetJsonAsync("/api/v1/verify?limit=4"))["data"]!;
        Assert.Equal(4, v["events_checked"]!.GetValue<int>());
        Assert.True(v["has_more"]!.GetValue<bool>());
    }
}
