using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <summary>
/// An anchor as the client libraries read it. <c>chain</c> is <c>none</c> and <c>tx_hash</c>/<c>explorer_url</c>/
/// <c>block_number</c> are null: this host's witnesses are a signature, RFC 3161 timestamps, webhooks and email, not a
/// blockchain (a submitter can fill them later behind <see cref="IAnchorWitness"/>).
/// </summary>
public sealed record AnchorJson(
    string Id, string? WorkspaceId, string MerkleRoot, string? PreviousAnchorHash, string AnchorHash, long EventsCount,
    long FirstSequence, long LastSequence, string FirstEventHash, string LastEventHash, string PeriodStart, string PeriodEnd,
    string Status, string Chain, string? TxHash, string? ExplorerUrl, long? BlockNumber, string CreatedAt, string? ConfirmedAt,
    string KeyId, string Signature, string Statement, JsonNode Witnesses)
{
    /// <summary>What anyone may see without a key: no workspace, and of the witnesses only which vouched and when.</summary>
    public AnchorJson ForPublic() => this with
    {
        WorkspaceId = null,
        Witnesses = new JsonArray(Witnesses.AsArray().Select(w => (JsonNode?)new JsonObject
        {
            ["witness"] = w?["witness"]?.DeepClone(), ["status"] = w?["status"]?.DeepClone(), ["gen_time"] = w?["gen_time"]?.DeepClone(),
        }).ToArray()),
    };

    public static AnchorJson From(AnchorRecord r)
    {
        var a = r.ToDomain();
        return new(r.Id, r.WorkspaceId, r.MerkleRoot, r.PreviousAnchorHash, r.AnchorHash, a.EventsCount, r.FirstSequence, r.LastSequence,
            r.FirstEventHash, r.LastEventHash, Timestamps.ToIso(r.PeriodStart), Timestamps.ToIso(r.PeriodEnd), WireName.Of(r.Status), "none",
            null, null, null, Timestamps.ToIso(r.CreatedAt), r.ConfirmedAt is { } c ? Timestamps.ToIso(c) : null, r.KeyId, r.Signature,
            a.Statement(), JsonNode.Parse(r.Witnesses)!);
    }
}

public static class AnchorMapping
{
    public static Anchor ToDomain(this AnchorRecord r) =>
        new(r.Id, r.WorkspaceId, r.PeriodStart, r.PeriodEnd, r.FirstSequence, r.LastSequence, r.FirstEventHash, r.LastEventHash,
            r.MerkleRoot, r.PreviousAnchorHash, r.CreatedAt, r.KeyId, r.Signature);
}

/// <summary>
/// Writes one signed Merkle anchor per workspace per completed period (<c>Integrity:AnchorPeriodMinutes</c>, aligned
/// to UTC multiples of the period since the Unix epoch) that has events, then hands it to every witness. Because
/// <c>created_at</c> never goes backwards within a workspace, a period's events are one contiguous run of sequences.
/// Invariant: anchors cover the chain from sequence 1 without gap or overlap, each links to the previous one's
/// <c>anchor_hash</c>, and an anchor is signed only over events that verify.
/// </summary>
public sealed partial class AnchorWriter(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    SigningKeys keys,
    IEnumerable<IAnchorWitness> witnesses,
    WitnessFiles witnessFiles,
    Immutable.Web.DomainEvents.IDomainEvents events,
    IOptions<IntegrityOptions> options,
    TimeProvider time,
    ILogger<AnchorWriter> logger)
{
    /// <summary>Anchors every completed period of the workspace not anchored yet; returns what it wrote.</summary>
    public async Task<IReadOnlyList<AnchorRecord>> AnchorDueAsync(string workspaceId, CancellationToken ct)
    {
        var written = new List<AnchorRecord>();
        var period = TimeSpan.FromMinutes(options.Value.AnchorPeriodMinutes);
        while (!ct.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // The previous anchor is the newer of the database's and the witness file's, each only if its signature holds,
            // and the chain must still hold its last event: deleting anchor rows must not let the writer re-anchor a
            // shortened or rewritten chain.
            var stored = await db.Anchors.AsNoTracking().Where(a => a.WorkspaceId == workspaceId)
                .OrderByDescending(a => a.LastSequence).FirstOrDefaultAsync(ct);
            var previous = stored?.ToDomain();
            if (previous is not null && !keys.Verify(previous.Statement(), previous.KeyId, previous.Signature))
            {
                LogRefused(workspaceId, previous.FirstSequence, previous.LastSequence, 1);
                break;
            }
            if (witnessFiles.ReadAnchor(workspaceId) is { } witnessed && keys.Verify(witnessed.Statement(), witnessed.KeyId, witnessed.Signature)
                && witnessed.LastSequence > (previous?.LastSequence ?? 0))
                previous = witnessed;
            if (previous is not null)
            {
                var previousLast = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence == previous.LastSequence)
                    .Select(e => e.EventHash).FirstOrDefaultAsync(ct);
                if (!string.Equals(previousLast, previous.LastEventHash, StringComparison.Ordinal))
                {
                    LogRefused(workspaceId, previous.LastSequence + 1, previous.LastSequence, 1);
                    break;
                }
            }
            var from = (previous?.LastSequence ?? 0) + 1;
            var first = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence == from)
                .Select(e => new { e.CreatedAt }).FirstOrDefaultAsync(ct);
            if (first is null) break;
            // Periods are aligned to multiples of the period since the Unix epoch (midnight UTC for daily anchors).
            var sinceEpoch = first.CreatedAt.Ticks - DateTime.UnixEpoch.Ticks;
            var start = new DateTime(first.CreatedAt.Ticks - sinceEpoch % period.Ticks, DateTimeKind.Utc);
            if (previous is not null && start < previous.PeriodEnd) start = previous.PeriodEnd;
            var end = start + period;
            var now = Timestamps.ToMicroseconds(time.GetUtcNow());
            if (end > now) break;
            var to = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence >= from && e.CreatedAt < end)
                .MaxAsync(e => (long?)e.Sequence, ct);
            if (to is null) break;

            var range = await ChainRange.ReadAsync(dbFactory, workspaceId, from, to.Value, options.Value.VerifyPageSize, ct);
            if (range.Breaks > 0)
            {
                LogRefused(workspaceId, from, to.Value, range.Breaks);
                break;
            }
            var unsigned = new Anchor("anc_" + Guid.NewGuid().ToString("D"), workspaceId, start, end, from, to.Value, range.FirstHash!, range.LastHash!,
                range.MerkleRoot, previous?.AnchorHash, now, keys.KeyId, "");
            var anchor = unsigned with { Signature = keys.Sign(unsigned.Statement()) };
            var record = new AnchorRecord
            {
                Id = anchor.Id, WorkspaceId = workspaceId, PeriodStart = start, PeriodEnd = end, FirstSequence = from, LastSequence = to.Value,
                FirstEventHash = anchor.FirstEventHash, LastEventHash = anchor.LastEventHash, MerkleRoot = anchor.MerkleRoot,
                PreviousAnchorHash = anchor.PreviousAnchorHash, AnchorHash = anchor.AnchorHash, CreatedAt = now, KeyId = anchor.KeyId,
                Signature = anchor.Signature, Status = AnchorStatus.Pending, Witnesses = "[]",
            };
            db.Anchors.Add(record);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
            {
                break; // another writer anchored this period first
            }
            witnessFiles.Write(anchor);
            written.Add(record);
        }
        foreach (var record in written) await WitnessAsync(record.Id, ct);
        return written;
    }

    /// <summary>
    /// Hands the anchor to every witness that has not vouched for it yet and sets its status: confirmed when one
    /// confirmed (an RFC 3161 token), submitted when copies were handed over for delivery, failed when every witness
    /// failed, pending when there is no witness at all.
    /// </summary>
    public async Task WitnessAsync(string anchorId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Anchors.SingleAsync(a => a.Id == anchorId, ct);
        var results = JsonSerializer.Deserialize<List<WitnessResult>>(record.Witnesses, WitnessResult.Json) ?? [];
        foreach (var witness in witnesses)
        {
            var done = results.Where(r => r.Witness == witness.Name).ToList();
            if (done.Any(r => r.Status != WitnessStatus.Failed) || done.Select(r => r.Attempts).DefaultIfEmpty(0).Max() >= 5) continue;
            IReadOnlyList<WitnessResult> outcome;
            try
            {
                outcome = await witness.WitnessAsync(db, record, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcome = [new WitnessResult(witness.Name, WitnessStatus.Failed, null, ex.Message)];
            }
            var attempts = done.Select(r => r.Attempts).DefaultIfEmpty(0).Max() + 1;
            results.RemoveAll(r => r.Witness == witness.Name);
            results.AddRange(outcome.Select(o => o with { Attempts = attempts }));
        }
        record.Witnesses = JsonSerializer.Serialize(results, WitnessResult.Json);
        var status = results.Count == 0 ? AnchorStatus.Pending
            : results.Any(r => r.Status == WitnessStatus.Confirmed) ? AnchorStatus.Confirmed
            : results.Any(r => r.Status == WitnessStatus.Submitted) ? AnchorStatus.Submitted
            : AnchorStatus.Failed;
        if (status == AnchorStatus.Confirmed && record.Status != AnchorStatus.Confirmed) record.ConfirmedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        record.Status = status;
        await db.SaveChangesAsync(ct);
        if (results.Any(r => r.Witness == "email" && r.Status == WitnessStatus.Submitted)) events.Publish(new Immutable.Web.DomainEvents.AnchorCreated(record.WorkspaceId, record.Id));
        if (results.Any(r => r.Witness == "webhook")) events.Publish(new Immutable.Web.DomainEvents.DeliveriesEnqueued(record.WorkspaceId));
    }

    /// <summary>Anchors whose witnesses failed (a timestamp authority was down) get up to five attempts in all.</summary>
    public async Task RetryFailedWitnessesAsync(string workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.Anchors.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.Status != AnchorStatus.Confirmed)
            .OrderByDescending(a => a.LastSequence).Take(10).Select(a => new { a.Id, a.Witnesses }).ToListAsync(ct);
        foreach (var a in ids)
        {
            var results = JsonSerializer.Deserialize<List<WitnessResult>>(a.Witnesses, WitnessResult.Json) ?? [];
            if (results.Any(r => r.Status == WitnessStatus.Failed && r.Attempts < 5))
                await WitnessAsync(a.Id, ct);
        }
    }

    [LoggerMessage(LogLevel.Critical, "Not signing an anchor of workspace {Workspace}: sequences {From}–{To} do not verify ({Breaks} breaks). Run verify.")]
    private partial void LogRefused(string workspace, long from, long to, int breaks);
}

public enum WitnessStatus
{
    Submitted,
    Confirmed,
    Failed,
}

/// <param name="Witness">rfc3161, webhook or email.</param>
/// <param name="Target">The timestamp authority's URL, or how many endpoints/recipients got a copy.</param>
/// <param name="Token">For rfc3161: the timestamp token (DER, base64), verifiable with <c>openssl ts -verify</c>.</param>
public sealed record WitnessResult(string Witness, WitnessStatus Status, string? Target, string? Error, string? Token = null, string? GenTime = null, string? Signer = null, int Attempts = 1)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}

/// <summary>
/// Somewhere a copy of an anchor lives that whoever holds the database cannot reach. Several run for each anchor;
/// a blockchain submitter would be one more implementation (filling <c>tx_hash</c>).
/// </summary>
public interface IAnchorWitness
{
    string Name { get; }

    /// <param name="db">The context that will save the anchor's status; a witness may queue rows (outbox, email) in it.</param>
    Task<IReadOnlyList<WitnessResult>> WitnessAsync(ImmutableDbContext db, AnchorRecord anchor, CancellationToken ct);
}
