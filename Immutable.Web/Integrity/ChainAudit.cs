using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <param name="EventId">Null when the break is not at a stored event (truncation, a forged statement).</param>
/// <param name="ExpectedHash">What the chain or a signed statement says (a hash; for <c>non_canonical</c> and <c>targets_mismatch</c> the expected value).</param>
/// <param name="ActualHash">What is stored (or recomputed from what is stored).</param>
public sealed record ChainBreakJson(string? EventId, ChainBreakType Type, string? ExpectedHash, string? ActualHash, long Sequence, string? Detail)
{
    public static ChainBreakJson From(ChainBreak b) => new(b.EventId?.ToString("D"), b.Type, b.ExpectedHash, b.ActualHash, b.Sequence, b.Detail);
}

/// <param name="Breaks">The first <see cref="ChainAudit.MaxReportedBreaks"/> breaks; <paramref name="BreaksTotal"/> counts all.</param>
/// <param name="LatestCheckpoint">The newest checkpoint whose signature verifies (from the database or the witness file); the stored chain was held to it.</param>
/// <param name="ArchivedThroughSequence">
/// Set when the checked run starts where retention cut the stored chain: the sequence of the last archived event, whose
/// hash the first remaining event was linked to (continuity from the cut is proven; statements over archived events are
/// checked with the archives).
/// </param>
public sealed record VerifyJson(
    bool Valid, int EventsChecked, IReadOnlyList<ChainBreakJson> Breaks, long? FirstSequence, long? LastSequence, bool HasMore, int BreaksTotal,
    int CheckpointsChecked = 0, int AnchorsChecked = 0, CheckpointJson? LatestCheckpoint = null, long? ArchivedThroughSequence = null);

/// <summary>
/// Reads a run of the stored chain page by page and checks it with <see cref="ChainRun"/>: every hash and link, every
/// signed checkpoint and anchor whose range lies in the run (signature, Merkle root, first and last hash, the anchor
/// chain), the derived targets rows, canonical ids and times — and, whatever the range, that the newest signed
/// statement's last event is still stored with its hash (the tail was not cut or rewritten).
/// Invariant: memory is bounded by one page of events, the open commitments' O(log n) builders and
/// <see cref="MaxReportedBreaks"/> breaks, whatever the range; at most <c>Integrity:MaxConcurrentVerifications</c> runs
/// per workspace hold pages at once.
/// </summary>
public sealed class ChainAudit(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IOptions<IntegrityOptions> options,
    SigningKeys keys,
    WitnessFiles witness,
    TimeProvider time)
{
    public const int MaxReportedBreaks = 1000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <param name="wait">How long to wait for a free verification slot of the workspace.</param>
    /// <param name="ranBy">Who asked (<c>user:…</c>, <c>api_key:…</c>, <c>cli</c>): the run is recorded in the history; null records nothing.</param>
    /// <param name="progress">Told the number of events checked after each page.</param>
    /// <returns>The result, or null when every slot stayed busy for <paramref name="wait"/>.</returns>
    /// <param name="afterSequence">Continue after this sequence (the next run of a chain longer than one limit).</param>
    public async Task<VerifyJson?> VerifyAsync(string workspaceId, DateTime? from, DateTime? to, int limit, CancellationToken ct,
        TimeSpan? wait = null, string? ranBy = null, IProgress<long>? progress = null, long afterSequence = 0)
    {
        using var slot = await EnterAsync(workspaceId, wait ?? Timeout.InfiniteTimeSpan, ct);
        if (slot is null) return null;
        var started = time.GetUtcNow().UtcDateTime;
        var result = await RunAsync(workspaceId, from, to, limit, afterSequence, progress, ct);
        if (ranBy is not null) await RecordAsync(workspaceId, ranBy, started, result, complete: from is null && to is null && afterSequence == 0 && !result.HasMore, ct);
        return result;
    }

    /// <summary>Takes one of the workspace's verification slots (null when none frees up in time); dispose to release.</summary>
    public async Task<IDisposable?> EnterAsync(string workspaceId, TimeSpan wait, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(workspaceId, _ => new SemaphoreSlim(options.Value.MaxConcurrentVerifications));
        return await gate.WaitAsync(wait, ct) ? new Slot(gate) : null;
    }

    private sealed class Slot(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    private async Task<VerifyJson> RunAsync(string workspaceId, DateTime? from, DateTime? to, int limit, long afterSequence, IProgress<long>? progress, CancellationToken ct)
    {
        ChainRun? run = null;
        long? first = null, last = null, archivedThrough = null;
        var hasMore = false;
        var reachedEnd = false;
        var cursor = afterSequence;
        var pageSize = options.Value.VerifyPageSize;
        int checkpointsChecked = 0, anchorsChecked = 0;
        string? previousAnchorHash = null;
        var anchorLinkKnown = false;
        long lastCheckpoint = 0;
        while (true)
        {
            // A context per page: nothing tracked, nothing kept between pages but the previous event and open commitments.
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var q = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence > cursor);
            if (from is { } f) q = q.Where(e => e.CreatedAt >= f);
            if (to is { } t) q = q.Where(e => e.CreatedAt <= t);
            var remaining = limit - (run?.EventsChecked ?? 0);
            var take = Math.Min(pageSize, remaining);
            var rows = await q.OrderBy(e => e.Sequence).Take(take + 1).ToListAsync(ct);
            if (rows.Count == 0)
            {
                reachedEnd = to is null;
                break;
            }
            if (run is null)
            {
                // The link of the first checked event is checked against the stored event before it, if any.
                var firstSequence = rows[0].Sequence;
                var predecessor = await db.Events.AsNoTracking()
                    .Where(e => e.WorkspaceId == workspaceId && e.Sequence < firstSequence)
                    .OrderByDescending(e => e.Sequence)
                    .FirstOrDefaultAsync(ct);
                // None stored before it: the chain starts here, or retention archived what came before (the cut). The cut is
                // the predecessor then, so statements over archived events are not expected from the store.
                var before = SafeDomain(predecessor);
                if (predecessor is null && await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct) is { } cut)
                {
                    before = cut.ToPredecessor();
                    archivedThrough = cut.LastSequence;
                }
                run = new ChainRun(before, MaxReportedBreaks);
                first = firstSequence;
            }
            var more = rows.Count > take;
            var page = rows.Take(take).ToList();
            var pageLast = page[^1].Sequence;

            // Signed statements that start in this page: held to the events as they stream past.
            var checkpoints = await db.Checkpoints.AsNoTracking()
                .Where(c => c.WorkspaceId == workspaceId && c.FirstSequence > cursor && c.FirstSequence <= pageLast)
                .OrderBy(c => c.FirstSequence).ToListAsync(ct);
            foreach (var c in checkpoints.Select(c => c.ToDomain()))
            {
                checkpointsChecked++;
                if (!keys.Verify(c.Statement(), c.KeyId, c.Signature)) run.Report(Forged($"checkpoint at sequence {c.Sequence}", c.Sequence, c.KeyId));
                else run.Expect(Commitment.Of(c));
                // Checkpoints follow each other without gap: one that does not start where the last one ended means a
                // checkpoint row was removed (checked from the chain's start, where the whole series is in view).
                if (first == 1 && c.FirstSequence != lastCheckpoint + 1)
                    run.Report(new ChainBreak(null, c.FirstSequence, ChainBreakType.CheckpointMismatch, (lastCheckpoint + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        c.FirstSequence.ToString(System.Globalization.CultureInfo.InvariantCulture), $"The checkpoint at sequence {c.Sequence} does not start where the one before it ended: a checkpoint was removed."));
                lastCheckpoint = c.Sequence;
            }
            var anchors = await db.Anchors.AsNoTracking()
                .Where(a => a.WorkspaceId == workspaceId && a.FirstSequence > cursor && a.FirstSequence <= pageLast)
                .OrderBy(a => a.FirstSequence).ToListAsync(ct);
            foreach (var record in anchors)
            {
                anchorsChecked++;
                var a = record.ToDomain();
                if (!anchorLinkKnown)
                {
                    previousAnchorHash = await db.Anchors.AsNoTracking()
                        .Where(x => x.WorkspaceId == workspaceId && x.LastSequence < record.FirstSequence)
                        .OrderByDescending(x => x.LastSequence).Select(x => x.AnchorHash).FirstOrDefaultAsync(ct);
                    anchorLinkKnown = true;
                }
                if (!keys.Verify(a.Statement(), a.KeyId, a.Signature)) run.Report(Forged($"anchor {a.Id}", a.LastSequence, a.KeyId));
                else
                {
                    run.Expect(Commitment.Of(a));
                    if (!string.Equals(a.PreviousAnchorHash, previousAnchorHash, StringComparison.Ordinal))
                        run.Report(new ChainBreak(null, a.FirstSequence, ChainBreakType.AnchorMismatch, previousAnchorHash, a.PreviousAnchorHash,
                            $"Anchor {a.Id} does not link to the anchor before it (an anchor was removed or replaced)."));
                    if (!string.Equals(record.AnchorHash, a.AnchorHash, StringComparison.Ordinal))
                        run.Report(new ChainBreak(null, a.LastSequence, ChainBreakType.AnchorMismatch, a.AnchorHash, record.AnchorHash,
                            $"The stored anchor_hash of anchor {a.Id} is not the hash of its signed statement."));
                }
                previousAnchorHash = record.AnchorHash;
            }

            var targets = await TargetsAsync(db, page, ct);
            foreach (var row in page)
            {
                CheckStoredForm(run, row, targets);
                if (SafeDomain(row) is { } e) run.Check(e);
            }
            last = pageLast;
            cursor = pageLast;
            progress?.Report(run.EventsChecked);
            if (run.EventsChecked >= limit) { hasMore = more; break; }
            if (!more)
            {
                reachedEnd = to is null;
                break;
            }
        }
        run ??= new ChainRun(null, MaxReportedBreaks);
        if (reachedEnd && from is null)
        {
            // Events committed after the last page was read may have been checkpointed meanwhile: only a statement past
            // the head stored now is a truncation.
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var headNow = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId).MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
            run.Finish(reachedEnd: true, storedHeadNow: headNow);
        }
        var latest = await CheckTailAsync(run, workspaceId, ct);

        var result = run.Result;
        return new VerifyJson(result.Valid, result.EventsChecked, result.Breaks.Select(ChainBreakJson.From).ToList(), first, last, hasMore, run.BreaksFound,
            checkpointsChecked, anchorsChecked, latest is null ? null : CheckpointJson.From(latest), archivedThrough);
    }

    /// <summary>
    /// Whatever range was checked: the newest signed statement (database checkpoint, the witness file's copy, or the
    /// newest anchor) must still find its last event stored with its hash. One indexed read.
    /// </summary>
    private async Task<Checkpoint?> CheckTailAsync(ChainRun run, string workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var candidates = new List<Commitment>();
        Checkpoint? latestCheckpoint = null;
        var stored = await db.Checkpoints.AsNoTracking().Where(c => c.WorkspaceId == workspaceId)
            .OrderByDescending(c => c.Sequence).Take(1).ToListAsync(ct);
        foreach (var c in stored.Select(r => r.ToDomain()))
        {
            if (!keys.Verify(c.Statement(), c.KeyId, c.Signature))
            {
                if (!run.HasBreak(ChainBreakType.BadSignature, c.Sequence)) run.Report(Forged($"checkpoint at sequence {c.Sequence}", c.Sequence, c.KeyId));
                continue;
            }
            candidates.Add(Commitment.Of(c));
            latestCheckpoint = c;
        }
        if (witness.Read(workspaceId) is { } witnessed)
        {
            if (!keys.Verify(witnessed.Statement(), witnessed.KeyId, witnessed.Signature))
                run.Report(Forged($"checkpoint at sequence {witnessed.Sequence} in the witness file", witnessed.Sequence, witnessed.KeyId));
            else
            {
                candidates.Add(Commitment.Of(witnessed) with { Label = $"checkpoint at sequence {witnessed.Sequence} (witness file)" });
                if (latestCheckpoint is null || witnessed.Sequence > latestCheckpoint.Sequence) latestCheckpoint = witnessed;
            }
        }
        var anchor = await db.Anchors.AsNoTracking().Where(a => a.WorkspaceId == workspaceId)
            .OrderByDescending(a => a.LastSequence).FirstOrDefaultAsync(ct);
        if (anchor?.ToDomain() is { } a && keys.Verify(a.Statement(), a.KeyId, a.Signature)) candidates.Add(Commitment.Of(a));
        if (witness.ReadAnchor(workspaceId) is { } wa)
        {
            if (!keys.Verify(wa.Statement(), wa.KeyId, wa.Signature))
                run.Report(Forged($"anchor {wa.Id} in the witness file", wa.LastSequence, wa.KeyId));
            else candidates.Add(Commitment.Of(wa) with { Label = $"anchor {wa.Id} (witness file)" });
        }

        var newest = candidates.OrderByDescending(c => c.LastSequence).FirstOrDefault();
        if (newest is null) return latestCheckpoint;
        // Retention may have archived the newest statement's last event: then the retention cut holds its hash (or a later
        // one), and the archives prove the rest.
        var cut = await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct);
        if (cut is not null && newest.LastSequence <= cut.LastSequence)
        {
            if (newest.LastSequence == cut.LastSequence && !string.Equals(cut.LastEventHash, newest.LastHash, StringComparison.Ordinal))
                run.Report(new ChainBreak(null, newest.LastSequence, newest.MismatchType, newest.LastHash, cut.LastEventHash,
                    $"The retention cut's hash of event {newest.LastSequence} differs from the {newest.Label}: the chain was rewritten."));
            return latestCheckpoint;
        }
        var head = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence == newest.LastSequence)
            .Select(e => e.EventHash).FirstOrDefaultAsync(ct);
        var storedHead = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId)
            .OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.EventHash }).FirstOrDefaultAsync(ct);
        if (head is null)
        {
            if (!run.HasBreak(ChainBreakType.Truncated, newest.LastSequence))
                run.Report(new ChainBreak(null, newest.LastSequence, ChainBreakType.Truncated, newest.LastHash, storedHead?.EventHash,
                    $"The {newest.Label} covers events up to sequence {newest.LastSequence}, but the stored chain ends at {storedHead?.Sequence ?? 0}."));
        }
        else if (!string.Equals(head, newest.LastHash, StringComparison.Ordinal) && !run.HasBreak(newest.MismatchType, newest.LastSequence))
        {
            run.Report(new ChainBreak(null, newest.LastSequence, newest.MismatchType, newest.LastHash, head,
                $"The hash of event {newest.LastSequence} differs from the {newest.Label}: the chain was rewritten."));
        }
        return latestCheckpoint;
    }

    private static ChainBreak Forged(string what, long sequence, string keyId) =>
        new(null, sequence, ChainBreakType.BadSignature, "a signature by a trusted key", keyId,
            $"The signature of the {what} does not verify with any trusted public key (key id {keyId}).");

    /// <summary>Targets rows of a page's events, keyed by the event's row.</summary>
    private static async Task<ILookup<long, EventTargetRecord>> TargetsAsync(ImmutableDbContext db, List<EventRecord> page, CancellationToken ct)
    {
        var rowIds = page.Select(r => r.RowId).ToList();
        var rows = await db.EventTargets.AsNoTracking().Where(t => rowIds.Contains(t.EventRowId)).ToListAsync(ct);
        return rows.ToLookup(t => t.EventRowId);
    }

    /// <summary>
    /// What the hash cannot see: the derived targets rows must say what the hashed targets say, and ids and times must be
    /// stored in the one form the hash was computed over (a lower-case id, whole microseconds).
    /// </summary>
    private static void CheckStoredForm(ChainRun run, EventRecord row, ILookup<long, EventTargetRecord> targets)
    {
        Guid? id = Guid.TryParse(row.Id, out var g) ? g : null;
        if (id is null || row.Id != id.Value.ToString("D"))
            run.Report(new ChainBreak(id, row.Sequence, ChainBreakType.NonCanonical, id?.ToString("D"), row.Id, "The stored event id is not a lower-case UUID; lookups by id miss it."));
        foreach (var (name, value) in new[] { ("created_at", row.CreatedAt), ("occurred_at", row.OccurredAt) })
        {
            if (value.Ticks % 10 != 0)
                run.Report(new ChainBreak(id, row.Sequence, ChainBreakType.NonCanonical, Timestamps.ToIso(value),
                    value.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    $"The stored {name} is not whole microseconds: it was changed after the event was hashed."));
        }
        var hashed = (row.Targets is null ? [] : SafeTargets(row.Targets))
            .Select(t => t.Type + ":" + t.Id).Order(StringComparer.Ordinal).ToList();
        var derivedRows = targets[row.RowId].ToList();
        var derived = derivedRows.Select(t => t.Type + ":" + t.TargetId).Order(StringComparer.Ordinal).ToList();
        if (!hashed.SequenceEqual(derived, StringComparer.Ordinal) || derivedRows.Any(t => t.WorkspaceId != row.WorkspaceId))
            run.Report(new ChainBreak(id, row.Sequence, ChainBreakType.TargetsMismatch, string.Join(",", hashed), string.Join(",", derived),
                "The targets index rows of this event differ from its hashed targets: target_type/target_id queries give wrong results."));
    }

    private static IReadOnlyList<Immutable.Domain.Events.EventTarget> SafeTargets(string json)
    {
        try { return EventMapping.ParseTargets(json); }
        catch (System.Text.Json.JsonException) { return []; }
    }

    /// <summary>A row that cannot be read (a malformed id or targets) is reported by <see cref="CheckStoredForm"/>; its link break follows.</summary>
    private static Immutable.Domain.Events.AuditEvent? SafeDomain(EventRecord? row)
    {
        if (row is null) return null;
        try { return row.ToDomain(); }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException) { return null; }
    }

    private async Task RecordAsync(string workspaceId, string ranBy, DateTime started, VerifyJson result, bool complete, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Verifications.Add(new VerificationRecord
        {
            WorkspaceId = workspaceId, RanBy = ranBy, StartedAt = started, FinishedAt = time.GetUtcNow().UtcDateTime, Valid = result.Valid,
            EventsChecked = result.EventsChecked, BreaksTotal = result.BreaksTotal, Complete = complete,
            FirstBreak = result.Breaks.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(result.Breaks[0], VerificationHistory.Json),
        });
        await db.SaveChangesAsync(ct);
    }
}
