using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Tests.TestSupport;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web.Integrity;

/// <summary>
/// The attacks that used to pass <c>verify</c>, done the way an attacker with write access to the SQLite file would:
/// SQL straight into the file, or the public encoding to recompute hashes. Each must now be a precise break.
/// </summary>
public class TamperEvidenceTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<(HttpClient Client, string Workspace, List<string> Ids)> SeedAsync(int count, bool checkpoint = true)
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var ids = new List<string>();
        for (var i = 1; i <= count; i++)
            ids.Add(await client.IngestAsync(new { actor_id = "u" + (i % 3), actor_name = "User " + i, action = $"doc.e{i}", targets = new[] { new { type = "document", id = "d" + i } } }));
        var workspace = await WorkspaceIdAsync();
        if (checkpoint) await _app.CheckpointHeadAsync(workspace);
        return (client, workspace, ids);
    }

    private async Task<string> WorkspaceIdAsync()
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        return await db.Workspaces.Where(w => w.Name == "acme").Select(w => w.Id).SingleAsync();
    }

    private void Sql(string sql)
    {
        using var db = _app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static async Task<JsonNode> VerifyAsync(HttpClient client) => (await client.GetJsonAsync("/api/v1/verify"))["data"]!;

    private static List<(string Type, long Sequence)> Breaks(JsonNode v) =>
        v["breaks"]!.AsArray().Select(b => (b!["type"]!.GetValue<string>(), b["sequence"]!.GetValue<long>())).ToList();

    [Fact]
    public async Task Verify_IntactChainWithCheckpoint_IsValidAndNamesTheCheckpoint()
    {
        var (client, _, _) = await SeedAsync(6);
        var v = await VerifyAsync(client);
        Assert.True(v["valid"]!.GetValue<bool>(), v.ToJsonString());
        Assert.Equal(1, v["checkpoints_checked"]!.GetValue<int>());
        Assert.Equal(6, v["latest_checkpoint"]!["sequence"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Verify_NewestEventsDeleted_ReportsTruncation(int deleted)
    {
        var (client, _, _) = await SeedAsync(20);
        Sql($"DELETE FROM events WHERE sequence > {20 - deleted}");
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("truncated", 20L), Breaks(v));
        var b = v["breaks"]!.AsArray().First(x => x!["type"]!.GetValue<string>() == "truncated")!;
        Assert.Contains($"ends at {20 - deleted}", b["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verify_TailDeletedThenIngestContinues_StillReportsTheRewrittenHead()
    {
        var (client, _, _) = await SeedAsync(10);
        Sql("DELETE FROM events WHERE sequence = 10");
        // The app's writer cached its head; a restart (or the next attacker step) continues from the shortened chain.
        using var restarted = new ImmutableAppFactory(_app.DataDirectory);
        var client2 = await restarted.CreateWorkspaceClientAsync();
        await client2.IngestAsync(new { actor_id = "u", action = "doc.after" });
        var v = await VerifyAsync(client2);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("checkpoint_mismatch", 10L), Breaks(v));
        _ = client;
    }

    [Fact]
    public async Task Verify_EveryEventDeleted_ReportsTruncation_EvenWithCheckpointsDeletedToo()
    {
        var (client, _, _) = await SeedAsync(8);
        Sql("DELETE FROM event_targets; DELETE FROM events;");
        Assert.Contains(("truncated", 8L), Breaks(await VerifyAsync(client)));

        // The attacker also removes the signed checkpoints from the database: the witness file outside it still knows.
        Sql("DELETE FROM checkpoints;");
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("truncated", 8L), Breaks(v));
    }

    [Fact]
    public async Task Verify_NewestEventMovedToAnotherWorkspace_IsReportedInBoth()
    {
        var (client, _, ids) = await SeedAsync(6);
        var other = await _app.CreateWorkspaceClientAsync("other");
        await other.IngestAsync(new { actor_id = "x", action = "doc.x" });
        Sql($"UPDATE events SET workspace_id = (SELECT id FROM workspaces WHERE name = 'other'), sequence = 2 WHERE id = '{ids[5]}'");
        Assert.Contains(("truncated", 6L), Breaks(await VerifyAsync(client)));
        var moved = Breaks(await VerifyAsync(other));
        Assert.Contains(("hash_mismatch", 2L), moved);
    }

    [Fact]
    public async Task Verify_FullRewriteWithRecomputedHashes_ReportsCheckpointMismatch()
    {
        var (client, workspace, _) = await SeedAsync(20);
        // The attack: change actor_name at sequence 5 and recompute sequences 5–20 with the public encoding.
        var factory = _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var rows = await db.Events.Where(e => e.WorkspaceId == workspace).OrderBy(e => e.Sequence).ToListAsync();
            string? previous = rows[3].EventHash;
            foreach (var row in rows.Skip(4))
            {
                if (row.Sequence == 5) row.ActorName = "Someone Else";
                row.PreviousEventHash = previous;
                row.EventHash = EventHashing.ComputeHash(row.ToDomain() with { EventHash = "" });
                previous = row.EventHash;
            }
            await db.SaveChangesAsync();
        }
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        var breaks = Breaks(v);
        Assert.DoesNotContain(breaks, b => b.Type is "hash_mismatch" or "chain_break"); // the rewrite is internally consistent…
        Assert.Contains(("checkpoint_mismatch", 20L), breaks);                         // …but not with the signed checkpoint
    }

    [Fact]
    public async Task Verify_ForgedCheckpoint_ReportsBadSignature()
    {
        var (client, workspace, _) = await SeedAsync(6);
        // An attacker rewrites the checkpoint to match a rewritten chain, and signs it with a key of their own.
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new Checkpoint(workspace, 1, 6, new string('a', 64), new string('b', 64), new DateTime(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc), SignedStatements.KeyId(forger), "");
        forged = forged with { Signature = SignedStatements.Sign(forged.Statement(), forger) };
        Sql($"UPDATE checkpoints SET head_hash = '{forged.HeadHash}', merkle_root = '{forged.MerkleRoot}', key_id = '{forged.KeyId}', signature = '{forged.Signature}', created_at = {forged.CreatedAt.Ticks}");
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("bad_signature", 6L), Breaks(v));

        // Merely editing a signed field breaks the signature too.
        Sql("UPDATE checkpoints SET sequence = 5");
        Assert.Contains(Breaks(await VerifyAsync(client)), b => b.Type == "bad_signature");
    }

    [Fact]
    public async Task Verify_DeletedTargetsRow_ReportsTargetsMismatch()
    {
        var (client, _, ids) = await SeedAsync(4, checkpoint: false);
        Sql($"DELETE FROM event_targets WHERE event_row_id = (SELECT row_id FROM events WHERE id = '{ids[1]}')");
        var v = await VerifyAsync(client);
        var b = Assert.Single(v["breaks"]!.AsArray())!;
        Assert.Equal(("targets_mismatch", ids[1], "document:d2", ""),
            (b["type"]!.GetValue<string>(), b["event_id"]!.GetValue<string>(), b["expected_hash"]!.GetValue<string>(), b["actual_hash"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Verify_UpperCasedId_ReportsNonCanonical()
    {
        var (client, _, ids) = await SeedAsync(4, checkpoint: false);
        Sql($"UPDATE events SET id = upper(id) WHERE id = '{ids[2]}'");
        var v = await VerifyAsync(client);
        var b = Assert.Single(v["breaks"]!.AsArray())!;
        Assert.Equal(("non_canonical", 3L, ids[2], ids[2].ToUpperInvariant()),
            (b["type"]!.GetValue<string>(), b["sequence"]!.GetValue<long>(), b["expected_hash"]!.GetValue<string>(), b["actual_hash"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Verify_CreatedAtShiftedBy100ns_ReportsNonCanonical()
    {
        var (client, _, ids) = await SeedAsync(4, checkpoint: false);
        Sql($"UPDATE events SET created_at = created_at + 1 WHERE id = '{ids[0]}'");
        var b = Assert.Single((await VerifyAsync(client))["breaks"]!.AsArray())!;
        Assert.Equal(("non_canonical", 1L), (b["type"]!.GetValue<string>(), b["sequence"]!.GetValue<long>()));
        Assert.EndsWith("1Z", b["actual_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Checkpoint_SignatureVerifiesWithTheWellKnownPublicKey_AndIsCopiedOutsideTheDatabase()
    {
        var (client, workspace, _) = await SeedAsync(3);
        var keys = await client.GetJsonAsync(IntegrityApi.WellKnownKeysPath);
        var key = keys["keys"]![0]!;
        Assert.True(key["current"]!.GetValue<bool>());
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(key["public_key_pem"]!.GetValue<string>());

        var checkpoint = (await client.GetJsonAsync("/api/v1/checkpoints"))["data"]![0]!;
        var statement = checkpoint["statement"]!.GetValue<string>();
        Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes(statement), Convert.FromBase64String(checkpoint["signature"]!.GetValue<string>()),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.Contains("\"sequence\":3", statement);
        Assert.Contains($"\"workspace_id\":\"{workspace}\"", statement);

        // The private key is a file beside the database, never in it; the witness copy is beside it too.
        Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "keys", "checkpoint-signing.pem")));
        Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "witness", workspace + ".checkpoint.json")));
        using var db = _app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%PRIVATE%'";
        Assert.Equal(0L, (long)cmd.ExecuteScalar()!);
    }

    [Fact]
    public async Task Checkpoints_AreWrittenInTheBackground_EveryNEvents()
    {
        using var app = new ImmutableAppFactory().With("Integrity:CheckpointEvents", "3");
        var client = await app.CreateWorkspaceClientAsync();
        for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = "u", action = "doc.e" });
        JsonNode? latest = null;
        for (var attempt = 0; attempt < 100 && latest is null; attempt++)
        {
            latest = (await client.GetJsonAsync("/api/v1/checkpoints"))["data"]!.AsArray().FirstOrDefault();
            if (latest is null) await Task.Delay(100);
        }
        Assert.NotNull(latest);
        Assert.Equal((1L, 3L), (latest["first_sequence"]!.GetValue<long>(), latest["sequence"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Ingest_202_CarriesSequenceAndEventHash_AsAReceipt()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var first = await (await client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "a.b", idempotency_key = "k1" })).ReadJsonAsync();
        var again = await (await client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "a.b", idempotency_key = "k1" })).ReadJsonAsync();
        var batch = await (await client.PostJsonAsync("/api/v1/events/batch", new { events = new object[] { new { actor_id = "u", action = "a.c" }, new { actor_id = "u", action = "a.d" } } })).ReadJsonAsync();
        var stored = (await client.GetJsonAsync($"/api/v1/events/{first["id"]}"))["data"]!["integrity"]!;
        Assert.Equal((1L, stored["event_hash"]!.GetValue<string>()), (first["sequence"]!.GetValue<long>(), first["event_hash"]!.GetValue<string>()));
        Assert.Equal(("duplicate", 1L, first["event_hash"]!.GetValue<string>()),
            (again["status"]!.GetValue<string>(), again["sequence"]!.GetValue<long>(), again["event_hash"]!.GetValue<string>()));
        Assert.Equal([2L, 3L], batch["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Writers_DoNotReSignATruncatedChain_EvenWithTheCheckpointRowsDeleted()
    {
        var (client, workspace, _) = await SeedAsync(20);
        var writer = _app.Services.GetRequiredService<CheckpointWriter>();
        // The attack the worker could otherwise launder: cut the tail, delete the checkpoint that covered it, let the
        // writer sign what is left, then continue the chain.
        Sql("DELETE FROM event_targets WHERE event_row_id IN (SELECT row_id FROM events WHERE sequence > 15); DELETE FROM events WHERE sequence > 15; DELETE FROM checkpoints;");
        Assert.Null(await writer.WriteIfDueAsync(workspace, force: true, CancellationToken.None));
        using var restarted = new ImmutableAppFactory(_app.DataDirectory);
        var client2 = await restarted.CreateWorkspaceClientAsync();
        for (var i = 0; i < 8; i++) await client2.IngestAsync(new { actor_id = "u", action = "doc.after" });
        Assert.Null(await restarted.Services.GetRequiredService<CheckpointWriter>().WriteIfDueAsync(workspace, force: true, CancellationToken.None));
        Assert.Null(await writer.WriteIfDueAsync(workspace, force: true, CancellationToken.None));
        var v = await VerifyAsync(client2);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("checkpoint_mismatch", 20L), Breaks(v)); // the witness file still holds the signed head at 20
        _ = client;
    }

    [Fact]
    public async Task Verify_NonHexStoredHash_IsAReportedBreak_NotAServerError()
    {
        var (client, _, ids) = await SeedAsync(5);
        Sql($"UPDATE events SET event_hash = 'x' WHERE id = '{ids[2]}'");
        var v = await VerifyAsync(client);
        Assert.False(v["valid"]!.GetValue<bool>());
        Assert.Contains(("hash_mismatch", 3L), Breaks(v));
        Assert.Contains(("checkpoint_mismatch", 5L), Breaks(v));
    }

    [Fact]
    public async Task Verify_RemovedMiddleCheckpoint_IsReported()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var workspace = await WorkspaceIdAsync();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 3; i++) await client.IngestAsync(new { actor_id = "u", action = "doc.e" });
            await _app.CheckpointHeadAsync(workspace);
        }
        Sql("DELETE FROM checkpoints WHERE sequence = 6");
        Assert.Contains(("checkpoint_mismatch", 7L), Breaks(await VerifyAsync(client)));
    }

    [Fact]
    public async Task Verify_InRuns_ContinuesAfterTheLastSequence_AndFindsTheTruncationInTheLastRun()
    {
        var (client, _, _) = await SeedAsync(6);
        var run1 = (await client.GetJsonAsync("/api/v1/verify?limit=4"))["data"]!;
        Assert.Equal((4, true, 4L), (run1["events_checked"]!.GetValue<int>(), run1["has_more"]!.GetValue<bool>(), run1["last_sequence"]!.GetValue<long>()));
        var run2 = (await client.GetJsonAsync("/api/v1/verify?limit=4&after_sequence=4"))["data"]!;
        Assert.Equal((2, false, true), (run2["events_checked"]!.GetValue<int>(), run2["has_more"]!.GetValue<bool>(), run2["valid"]!.GetValue<bool>()));
        Sql("DELETE FROM event_targets WHERE event_row_id IN (SELECT row_id FROM events WHERE sequence = 6); DELETE FROM events WHERE sequence = 6");
        Assert.Contains(("truncated", 6L), Breaks((await client.GetJsonAsync("/api/v1/verify?limit=4&after_sequence=4"))["data"]!));
        var bad = await client.GetJsonAsync("/api/v1/verify?after_sequence=-1", System.Net.HttpStatusCode.UnprocessableEntity);
        Assert.Equal("after_sequence", bad["violations"]![0]!["field"]!.GetValue<string>());
    }
}
