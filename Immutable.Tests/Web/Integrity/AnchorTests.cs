using System.Net;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Tests.TestSupport;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web.Integrity;

/// <summary>Anchors over hourly periods (fake clock), their API shapes, inclusion proofs and witnesses.</summary>
[Trait("Postgres", "run")]
public class AnchorTests : IAsyncLifetime
{
    private ImmutableAppFactory _app = default!;
    private TimestampAuthority _tsa = default!;
    private WebhookReceiver _receiver = default!;
    private HttpClient _client = default!;
    private string _workspace = "";

    public async Task InitializeAsync()
    {
        _tsa = await TimestampAuthority.StartAsync();
        _receiver = await WebhookReceiver.StartAsync();
        _app = new ImmutableAppFactory()
            .With("Integrity:AnchorPeriodMinutes", "60")
            .With("Integrity:TimestampAuthorityUrls:0", _tsa.Url)
            .With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1");
        _client = await _app.CreateWorkspaceClientAsync();
        var created = await _client.PostJsonAsync("/api/v1/webhook-endpoints", $$"""{"url":"{{_receiver.Url}}","record_types":["anchors"]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        _receiver.Secret = (await created.ReadJsonAsync())["data"]!["secret"]!.GetValue<string>();
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        _workspace = await db.Workspaces.Where(w => w.Name == "acme").Select(w => w.Id).SingleAsync();
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _tsa.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<List<string>> IngestAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++) ids.Add(await _client.IngestAsync(new { actor_id = "u", action = "doc.read", metadata = new { i } }));
        return ids;
    }

    private Task<IReadOnlyList<AnchorRecord>> AnchorAsync() =>
        _app.Services.GetRequiredService<AnchorWriter>().AnchorDueAsync(_workspace, CancellationToken.None);

    [Fact]
    public async Task Anchors_PerPeriod_HaveTheClientShapes_LinkToEachOther_AndVerify()
    {
        await IngestAsync(7);                                  // 14:00–15:00, after the endpoint's audit record (sequence 1)
        Assert.Empty(await AnchorAsync());                    // the period has not ended
        _app.Time.Advance(TimeSpan.FromHours(1));
        await IngestAsync(4);                                  // 15:00–16:00
        _app.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, (await AnchorAsync()).Count);
        Assert.Empty(await AnchorAsync());                    // idempotent: nothing more is due

        var list = (await _client.GetJsonAsync("/api/v1/anchors?limit=10"))["data"]!.AsArray();
        Assert.Equal(2, list.Count);
        var (second, first) = (list[0]!, list[1]!);
        Assert.Equal((1L, 8L, 8L), (first["first_sequence"]!.GetValue<long>(), first["last_sequence"]!.GetValue<long>(), first["events_count"]!.GetValue<long>()));
        Assert.Equal((9L, 12L), (second["first_sequence"]!.GetValue<long>(), second["last_sequence"]!.GetValue<long>()));
        Assert.Null(first["previous_anchor_hash"]);
        Assert.Equal(first["anchor_hash"]!.GetValue<string>(), second["previous_anchor_hash"]!.GetValue<string>());
        Assert.Equal(("2026-03-27T14:00:00.000000Z", "2026-03-27T15:00:00.000000Z"), (first["period_start"]!.GetValue<string>(), first["period_end"]!.GetValue<string>()));
        Assert.Equal("none", first["chain"]!.GetValue<string>());
        Assert.Null(first["tx_hash"]);
        Assert.Equal("confirmed", first["status"]!.GetValue<string>()); // the TSA vouched for it

        var id = first["id"]!.GetValue<string>();
        Assert.StartsWith("anc_", id);
        var one = (await _client.GetJsonAsync($"/api/v1/anchors/{id}"))["data"]!;
        var events = (await _client.GetJsonAsync("/api/v1/events?order=asc&limit=100"))["data"]!.AsArray();
        Assert.Equal(events[0]!["integrity"]!["event_hash"]!.GetValue<string>(), one["first_event_hash"]!.GetValue<string>());
        Assert.Equal(events[7]!["integrity"]!["event_hash"]!.GetValue<string>(), one["last_event_hash"]!.GetValue<string>());
        Assert.Equal(MerkleTree.Root(events.Take(8).Select(e => e!["integrity"]!["event_hash"]!.GetValue<string>())), one["merkle_root"]!.GetValue<string>());

        var verify = (await _client.GetJsonAsync($"/api/v1/anchors/{id}/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.True(verify["chain_valid"]!.GetValue<bool>());
        Assert.Equal(verify["expected"]!.GetValue<string>(), verify["actual"]!.GetValue<string>());
        Assert.Equal((id, 8L), (verify["anchor_id"]!.GetValue<string>(), verify["events_count"]!.GetValue<long>()));
        Assert.True(verify.AsObject().ContainsKey("tx_hash") && verify.AsObject().ContainsKey("explorer_url"));
        Assert.True(verify["witnesses"]![0]!["token_valid"]!.GetValue<bool>());

        // The whole-chain verify holds the events to both anchors.
        var chain = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(chain["valid"]!.GetValue<bool>());
        Assert.Equal(2, chain["anchors_checked"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnchorVerify_AfterATamperedEvent_ShowsExpectedAndActualRoots()
    {
        var ids = await IngestAsync(5);
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        using (var db = _app.OpenStore())
        using (var cmd = db.CreateCommand())
        {
            // A full rewrite of event 3 with a recomputed hash, link of event 4 fixed up: only the anchor can tell.
            cmd.CommandText = $"UPDATE events SET event_hash = 'ab' || substr(event_hash, 3) WHERE id = '{ids[2]}'; UPDATE events SET previous_event_hash = (SELECT event_hash FROM events WHERE id = '{ids[2]}') WHERE id = '{ids[3]}'";
            cmd.ExecuteNonQuery();
        }
        var verify = (await _client.GetJsonAsync($"/api/v1/anchors/{anchor.Id}/verify"))["data"]!;
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal(anchor.MerkleRoot, verify["expected"]!.GetValue<string>());
        Assert.NotEqual(anchor.MerkleRoot, verify["actual"]!.GetValue<string>());
        var chain = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.Contains(chain["breaks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "anchor_mismatch");
    }

    [Fact]
    public async Task PublicRoutes_NeedNoKey_AndFindAnchorsByTheirHash()
    {
        await IngestAsync(3);
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        var anonymous = _app.CreateClient();
        var found = (await anonymous.GetJsonAsync($"/api/v1/public/anchors/lookup?tx_hash={anchor.AnchorHash}"))["data"]!;
        Assert.Equal(anchor.Id, found["id"]!.GetValue<string>());
        var verify = (await anonymous.GetJsonAsync($"/api/v1/public/anchors/{anchor.Id}/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>());
        await anonymous.GetJsonAsync($"/api/v1/public/anchors/lookup?tx_hash={new string('0', 64)}", HttpStatusCode.NotFound);
        var bad = await anonymous.GetJsonAsync("/api/v1/public/anchors/lookup?tx_hash=x'--", HttpStatusCode.UnprocessableEntity);
        Assert.Equal("tx_hash", bad["violations"]![0]!["field"]!.GetValue<string>());
        await anonymous.GetJsonAsync("/api/v1/anchors", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Proof_ForEveryEventOfAnOddSizedAnchor_VerifiesToItsSignedRoot()
    {
        var ids = await IngestAsync(6); // with the endpoint's audit record: 7 leaves
        var before = (await _client.GetJsonAsync($"/api/v1/events/{ids[0]}/proof"))["data"]!;
        Assert.False(before["anchored"]!.GetValue<bool>());
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        await _app.CheckpointHeadAsync(_workspace);
        foreach (var id in ids)
        {
            var proof = (await _client.GetJsonAsync($"/api/v1/events/{id}/proof"))["data"]!;
            Assert.True(proof["anchored"]!.GetValue<bool>());
            var path = proof["path"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
            Assert.True(MerkleTree.VerifyInclusion(proof["event_hash"]!.GetValue<string>(), proof["leaf_index"]!.GetValue<long>(),
                proof["tree_size"]!.GetValue<long>(), path, proof["anchor"]!["merkle_root"]!.GetValue<string>()));
            Assert.Equal(anchor.Signature, proof["anchor"]!["signature"]!.GetValue<string>());
            Assert.Equal(7L, proof["tree_size"]!.GetValue<long>());
            Assert.Equal(7L, proof["checkpoint"]!["sequence"]!.GetValue<long>());
        }
        await _client.GetJsonAsync($"/api/v1/events/{Guid.NewGuid()}/proof", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Witnesses_TimestampTokenChecksWithOpenSsl_AndAWebhookCopyArrivesSigned()
    {
        await IngestAsync(2);
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        var a = (await _client.GetJsonAsync($"/api/v1/anchors/{anchor.Id}"))["data"]!;
        var rfc3161 = a["witnesses"]!.AsArray().Single(w => w!["witness"]!.GetValue<string>() == "rfc3161")!;
        Assert.Equal("confirmed", rfc3161["status"]!.GetValue<string>());
        var tokenPath = Path.Combine(_tsa.Folder, "token.der");
        await File.WriteAllBytesAsync(tokenPath, Convert.FromBase64String(rfc3161["token"]!.GetValue<string>()));
        var output = await TimestampAuthority.RunAsync(_tsa.Folder, "ts", "-verify", "-digest", anchor.MerkleRoot, "-token_in", "-in", tokenPath, "-CAfile", _tsa.CertificatePath);
        Assert.Contains("Verification: OK", output);

        var delivered = await _receiver.WaitForAsync(1);
        Assert.True(delivered.SignatureValid);
        var payload = JsonNode.Parse(delivered.Body)!;
        Assert.Equal(("anchor.created", anchor.MerkleRoot, anchor.Signature),
            (payload["event_type"]!.GetValue<string>(), payload["merkle_root"]!.GetValue<string>(), payload["signature"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Witnesses_TimestampAuthorityDown_MarksFailed_ThenConfirmsOnRetry()
    {
        _tsa.Down = true;
        await IngestAsync(2);
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        var a = (await _client.GetJsonAsync($"/api/v1/anchors/{anchor.Id}"))["data"]!;
        // The webhook copy was handed over, so the anchor is submitted; the TSA's failure is recorded.
        Assert.Equal("submitted", a["status"]!.GetValue<string>());
        Assert.Contains(a["witnesses"]!.AsArray(), w => w!["witness"]!.GetValue<string>() == "rfc3161" && w["status"]!.GetValue<string>() == "failed");
        _tsa.Down = false;
        await _app.Services.GetRequiredService<AnchorWriter>().RetryFailedWitnessesAsync(_workspace, CancellationToken.None);
        a = (await _client.GetJsonAsync($"/api/v1/anchors/{anchor.Id}"))["data"]!;
        Assert.Equal("confirmed", a["status"]!.GetValue<string>());
        Assert.NotNull(a["confirmed_at"]);
    }

    [Fact]
    public async Task AnchorWriter_DoesNotReAnchorARewrittenChain_AfterTheAnchorRowsAreDeleted()
    {
        await IngestAsync(4);
        _app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await AnchorAsync());
        using (var db = _app.OpenStore())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"DELETE FROM anchors; UPDATE events SET event_hash = '{new string('c', 64)}' WHERE sequence = {anchor.LastSequence}";
            cmd.ExecuteNonQuery();
        }
        await IngestAsync(2);
        _app.Time.Advance(TimeSpan.FromHours(2));
        Assert.Empty(await AnchorAsync()); // the witness file's anchor no longer matches the stored chain: refuse
        var chain = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.Contains(chain["breaks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "anchor_mismatch" && b["sequence"]!.GetValue<long>() == anchor.LastSequence);
    }
}
