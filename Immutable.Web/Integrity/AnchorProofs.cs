using System.Text.Json;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <param name="Expected">The Merkle root the signed anchor states.</param>
/// <param name="Actual">The Merkle root recomputed from the stored events of its range.</param>
/// <param name="ChainValid">The anchor links to the anchor before it (<c>previous_anchor_hash</c>) and its stored hash is its statement's.</param>
public sealed record AnchorVerifyJson(
    string AnchorId, string MerkleRoot, bool Valid, bool ChainValid, string Expected, string Actual, long EventsCount, string? TxHash, string? ExplorerUrl,
    bool SignatureValid, bool EventsValid, string Status, IReadOnlyList<WitnessCheckJson> Witnesses)
{
    /// <summary>Without the witnesses' targets (a timestamp authority's address is the operator's business).</summary>
    public AnchorVerifyJson ForPublic() => this with { Witnesses = Witnesses.Select(w => w with { Target = null }).ToList() };
}

public sealed record WitnessCheckJson(string Witness, string Status, string? Target, bool? TokenValid, string? GenTime);

/// <summary>
/// An event's inclusion proof: the path from its hash to its anchor's Merkle root (RFC 9162 §2.1.3), the signed anchor,
/// and the signed checkpoint that covers it. <c>anchored</c> is false until the event's period has been anchored.
/// </summary>
public sealed record EventProofJson(
    string EventId, long Sequence, string EventHash, bool Anchored, long? LeafIndex, long? TreeSize, IReadOnlyList<string>? Path,
    AnchorJson? Anchor, CheckpointJson? Checkpoint, IReadOnlyList<PublicKeyInfo> PublicKeys);

/// <summary>Checks anchors against the store and builds inclusion proofs, each in one streaming pass over the anchor's range.</summary>
public sealed class AnchorProofs(IDbContextFactory<ImmutableDbContext> dbFactory, SigningKeys keys, IOptions<IntegrityOptions> options, TimeProvider time) : IDisposable
{
    public void Dispose() => _publicGate.Dispose();

    private static readonly TimeSpan PublicCacheFor = TimeSpan.FromMinutes(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, AnchorVerifyJson Result)> _publicResults = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _publicGate = new(1);

    /// <summary>
    /// The unauthenticated verify: one recomputation at a time for the whole host, each result reused for five minutes,
    /// so anyone on the internet cannot make the server re-read a day of events per request. Null when busy (429).
    /// </summary>
    public async Task<AnchorVerifyJson?> PublicVerifyAsync(AnchorRecord record, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_publicResults.TryGetValue(record.Id, out var cached) && cached.Until > now) return cached.Result;
        if (!await _publicGate.WaitAsync(TimeSpan.Zero, ct)) return null;
        try
        {
            var result = await VerifyAsync(record, ct);
            foreach (var stale in _publicResults.Where(kv => kv.Value.Until <= now).Select(kv => kv.Key).ToList()) _publicResults.TryRemove(stale, out _);
            if (_publicResults.Count < 10_000) _publicResults[record.Id] = (now + PublicCacheFor, result);
            return result;
        }
        finally
        {
            _publicGate.Release();
        }
    }

    public async Task<AnchorRecord?> FindAsync(string? workspaceId, string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Anchors.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && (workspaceId == null || a.WorkspaceId == workspaceId), ct);
    }

    public async Task<IReadOnlyList<AnchorRecord>> ListAsync(string workspaceId, int limit, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Anchors.AsNoTracking().Where(a => a.WorkspaceId == workspaceId)
            .OrderByDescending(a => a.LastSequence).Take(limit).ToListAsync(ct);
    }

    /// <summary>Finds an anchor by what a client may hold instead of its id: its anchor hash or Merkle root (there is no blockchain transaction).</summary>
    public async Task<AnchorRecord?> LookupAsync(string hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Anchors.AsNoTracking().Where(a => a.AnchorHash == hash || a.MerkleRoot == hash).OrderBy(a => a.CreatedAt).FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<CheckpointRecord>> CheckpointsAsync(string workspaceId, int limit, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Checkpoints.AsNoTracking().Where(c => c.WorkspaceId == workspaceId)
            .OrderByDescending(c => c.Sequence).Take(limit).ToListAsync(ct);
    }

    public async Task<AnchorVerifyJson> VerifyAsync(AnchorRecord record, CancellationToken ct)
    {
        var anchor = record.ToDomain();
        var signatureValid = keys.Verify(anchor.Statement(), anchor.KeyId, anchor.Signature);
        var range = await ChainRange.ReadAsync(dbFactory, record.WorkspaceId, record.FirstSequence, record.LastSequence, options.Value.VerifyPageSize, ct);
        var eventsValid = range.Breaks == 0 && range.MerkleRoot == record.MerkleRoot
            && range.FirstHash == record.FirstEventHash && range.LastHash == record.LastEventHash;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var previous = await db.Anchors.AsNoTracking()
            .Where(a => a.WorkspaceId == record.WorkspaceId && a.LastSequence < record.FirstSequence)
            .OrderByDescending(a => a.LastSequence).FirstOrDefaultAsync(ct);
        var chainValid = record.AnchorHash == anchor.AnchorHash
            && record.PreviousAnchorHash == previous?.AnchorHash
            && (previous is null ? record.FirstSequence == 1 : previous.LastSequence + 1 == record.FirstSequence)
            && (previous is null || keys.Verify(previous.ToDomain().Statement(), previous.KeyId, previous.Signature));

        var witnesses = (JsonSerializer.Deserialize<List<WitnessResult>>(record.Witnesses, WitnessResult.Json) ?? [])
            .Select(w => new WitnessCheckJson(w.Witness, Immutable.Domain.WireName.Of(w.Status), w.Target,
                w.Token is null ? null : TimestampAuthorityWitness.TokenMatches(w.Token, record.MerkleRoot), w.GenTime))
            .ToList();
        var witnessesValid = witnesses.All(w => w.TokenValid != false);
        return new AnchorVerifyJson(record.Id, record.MerkleRoot, signatureValid && eventsValid && witnessesValid, chainValid,
            record.MerkleRoot, range.MerkleRoot, anchor.EventsCount, null, null, signatureValid, eventsValid,
            Immutable.Domain.WireName.Of(record.Status), witnesses);
    }

    /// <summary>Null when the event is not in this workspace.</summary>
    public async Task<EventProofJson?> ProofAsync(string workspaceId, string eventId, CancellationToken ct)
    {
        if (!Guid.TryParse(eventId, out var guid)) return null;
        var key = guid.ToString("D");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Events.AsNoTracking().Where(x => x.Id == key && x.WorkspaceId == workspaceId)
            .Select(x => new { x.Id, x.Sequence, x.EventHash }).SingleOrDefaultAsync(ct);
        if (e is null) return null;
        var checkpoint = await db.Checkpoints.AsNoTracking()
            .Where(c => c.WorkspaceId == workspaceId && c.FirstSequence <= e.Sequence && c.Sequence >= e.Sequence)
            .OrderBy(c => c.Sequence).FirstOrDefaultAsync(ct);
        var anchor = await db.Anchors.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.FirstSequence <= e.Sequence && a.LastSequence >= e.Sequence)
            .FirstOrDefaultAsync(ct);
        var checkpointJson = checkpoint is null ? null : CheckpointJson.From(checkpoint.ToDomain());
        if (anchor is null) return new EventProofJson(e.Id, e.Sequence, e.EventHash, false, null, null, null, null, checkpointJson, keys.PublicKeys);

        var index = e.Sequence - anchor.FirstSequence;
        var size = anchor.LastSequence - anchor.FirstSequence + 1;
        var path = new List<string>();
        foreach (var (lo, hi) in SiblingRanges(index, size))
            path.Add(await SubtreeRootAsync(workspaceId, anchor.FirstSequence + lo, anchor.FirstSequence + hi - 1, ct));
        return new EventProofJson(e.Id, e.Sequence, e.EventHash, true, index, size, path, AnchorJson.From(anchor), checkpointJson, keys.PublicKeys);
    }

    /// <summary>
    /// The leaf ranges [lo, hi) whose subtree roots form the inclusion path of leaf <paramref name="index"/> in a tree of
    /// <paramref name="size"/> leaves, from the leaf up (RFC 9162 §2.1.3.1, unrolled).
    /// </summary>
    public static IReadOnlyList<(long Lo, long Hi)> SiblingRanges(long index, long size)
    {
        var ranges = new List<(long, long)>();
        long lo = 0, hi = size;
        while (hi - lo > 1)
        {
            var k = 1L;
            while (k << 1 < hi - lo) k <<= 1;
            if (index - lo < k)
            {
                ranges.Add((lo + k, hi));
                hi = lo + k;
            }
            else
            {
                ranges.Add((lo, lo + k));
                lo += k;
            }
        }
        ranges.Reverse();
        return ranges;
    }

    private async Task<string> SubtreeRootAsync(string workspaceId, long from, long to, CancellationToken ct)
    {
        var builder = new MerkleRootBuilder();
        var cursor = from - 1;
        var pageSize = options.Value.VerifyPageSize * 5;
        while (cursor < to)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var page = await db.Events.AsNoTracking()
                .Where(x => x.WorkspaceId == workspaceId && x.Sequence > cursor && x.Sequence <= to)
                .OrderBy(x => x.Sequence).Select(x => new { x.Sequence, x.EventHash }).Take(pageSize).ToListAsync(ct);
            if (page.Count == 0) break;
            foreach (var row in page) builder.Add(row.EventHash);
            cursor = page[^1].Sequence;
        }
        return builder.RootHex();
    }
}
