using System.Text.Json;
using System.Text.RegularExpressions;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <summary>A checkpoint as the API, the witness file and proof bundles show it; <c>statement</c> is the exact signed text.</summary>
public sealed record CheckpointJson(string WorkspaceId, long FirstSequence, long Sequence, string HeadHash, string MerkleRoot, string CreatedAt, string KeyId, string Signature, string Statement)
{
    public static CheckpointJson From(Checkpoint c) =>
        new(c.WorkspaceId, c.FirstSequence, c.Sequence, c.HeadHash, c.MerkleRoot, Timestamps.ToIso(c.CreatedAt), c.KeyId, c.Signature, c.Statement());

    public Checkpoint ToDomain() =>
        new(WorkspaceId, FirstSequence, Sequence, HeadHash, MerkleRoot, DateTime.Parse(CreatedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal), KeyId, Signature);
}

public static class CheckpointMapping
{
    public static Checkpoint ToDomain(this CheckpointRecord r) =>
        new(r.WorkspaceId, r.FirstSequence, r.Sequence, r.HeadHash, r.MerkleRoot, r.CreatedAt, r.KeyId, r.Signature);
}

/// <summary>
/// Copies of each workspace's latest signed checkpoint and latest anchor in files outside the database
/// (<c>Integrity:WitnessPath</c>): deleting events, checkpoints and anchors from the database together still leaves a
/// signed witness of how far the chain reached, which verification checks and the writers continue from.
/// Invariant: a witness is only ever replaced by a newer statement (a higher sequence), never by an older one.
/// </summary>
public sealed partial class WitnessFiles(IntegrityPaths paths)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public void Write(Checkpoint checkpoint)
    {
        if (Read(checkpoint.WorkspaceId) is { } current && current.Sequence >= checkpoint.Sequence) return;
        WriteAtomically(PathFor(checkpoint.WorkspaceId, "checkpoint"), CheckpointJson.From(checkpoint));
    }

    public void Write(Anchor anchor)
    {
        if (ReadAnchor(anchor.WorkspaceId) is { } current && current.LastSequence >= anchor.LastSequence) return;
        WriteAtomically(PathFor(anchor.WorkspaceId, "anchor"), anchor);
    }

    /// <summary>The witnessed checkpoint, or null when there is none (or the file is unreadable: verification then reports on what the database holds).</summary>
    public Checkpoint? Read(string workspaceId)
    {
        var json = ReadFile<CheckpointJson>(PathFor(workspaceId, "checkpoint"));
        return json is null || json.WorkspaceId != workspaceId ? null : json.ToDomain();
    }

    public Anchor? ReadAnchor(string workspaceId)
    {
        var anchor = ReadFile<Anchor>(PathFor(workspaceId, "anchor"));
        return anchor is null || anchor.WorkspaceId != workspaceId ? null : anchor;
    }

    private void WriteAtomically<T>(string path, T value)
    {
        Directory.CreateDirectory(paths.WitnessDirectory);
        // A name of its own per write: writers in one process, or instances sharing the folder (same pid on other hosts).
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, value, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static T? ReadFile<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Workspace ids are ours (<c>ws_…</c>); anything else is hashed so it can never leave the folder.</summary>
    private string PathFor(string workspaceId, string kind) =>
        Path.Combine(paths.WitnessDirectory, (SafeName().IsMatch(workspaceId) ? workspaceId : SignedStatements.Sha256Hex(workspaceId)) + "." + kind + ".json");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex SafeName();
}

/// <summary>
/// Writes a workspace's next signed checkpoint when it is due (<c>Integrity:CheckpointEvents</c> new events or
/// <c>Integrity:CheckpointMinutes</c> since the last). Invariant: a checkpoint is signed only over events that verify
/// from the previous checkpoint (hashes recomputed, links and sequence checked), so the key never vouches for a chain
/// that was already tampered with; memory is one page of events and an O(log n) Merkle builder.
/// </summary>
public sealed partial class CheckpointWriter(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    SigningKeys keys,
    WitnessFiles witness,
    LeaseStore leases,
    IOptions<IntegrityOptions> options,
    TimeProvider time,
    ILogger<CheckpointWriter> logger)
{
    /// <summary>Held only around the insert of a workspace's next checkpoint (see <see cref="WriteIfDueAsync"/>).</summary>
    public static string LeaseName(string workspaceId) => "checkpoint:" + workspaceId;

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <param name="force">Write one now if there are new events at all (the CLI, tests, anchors).</param>
    public async Task<Checkpoint?> WriteIfDueAsync(string workspaceId, bool force, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The previous statement is the newer of the database's and the witness file's, each only if its signature holds:
        // deleting checkpoint rows must not let the writer start over on a shortened or rewritten chain.
        var stored = await db.Checkpoints.AsNoTracking().Where(c => c.WorkspaceId == workspaceId)
            .OrderByDescending(c => c.Sequence).FirstOrDefaultAsync(ct);
        var last = stored?.ToDomain();
        if (last is not null && !keys.Verify(last.Statement(), last.KeyId, last.Signature))
        {
            LogUntrusted(workspaceId, last.Sequence);
            return null;
        }
        if (witness.Read(workspaceId) is { } witnessed && keys.Verify(witnessed.Statement(), witnessed.KeyId, witnessed.Signature)
            && witnessed.Sequence > (last?.Sequence ?? 0))
            last = witnessed;
        var head = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId)
            .OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.EventHash }).FirstOrDefaultAsync(ct);
        var from = (last?.Sequence ?? 0) + 1;
        if (head is null || head.Sequence < from) return null;
        if (last is not null)
        {
            // The chain must still hold the previous checkpoint's head: otherwise it was cut or rewritten, and signing
            // what follows would vouch for the tampered chain.
            var previousHead = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence == last.Sequence)
                .Select(e => e.EventHash).FirstOrDefaultAsync(ct);
            if (!string.Equals(previousHead, last.HeadHash, StringComparison.Ordinal))
            {
                LogRefused(workspaceId, from, head.Sequence, 1);
                return null;
            }
        }

        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        if (!force)
        {
            var since = last?.CreatedAt ?? await db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == workspaceId && e.Sequence == from).Select(e => e.CreatedAt).FirstAsync(ct);
            var due = head.Sequence - from + 1 >= options.Value.CheckpointEvents
                || now - since >= TimeSpan.FromMinutes(options.Value.CheckpointMinutes);
            if (!due) return null;
        }

        var range = await ChainRange.ReadAsync(dbFactory, workspaceId, from, head.Sequence, options.Value.VerifyPageSize, ct);
        if (range.Breaks > 0)
        {
            LogRefused(workspaceId, from, head.Sequence, range.Breaks);
            return null;
        }
        var unsigned = new Checkpoint(workspaceId, from, head.Sequence, range.LastHash!, range.MerkleRoot, now, keys.KeyId, "");
        var checkpoint = unsigned with { Signature = keys.Sign(unsigned.Statement()) };
        // Several writers (instances, or the worker and a forced write) may have signed from the same previous
        // checkpoint at once, up to different heads: only one of them may continue the checkpoints' chain. The lease,
        // taken inside the insert's transaction (on PostgreSQL its row stays locked to the commit; SQLite's write lock
        // does the same), lets one writer at a time look and insert; a later one finds the range signed and stops.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            if (!await leases.TryAcquireAsync(db, LeaseName(workspaceId), Lease, ct)) return null;
            if (await db.Checkpoints.AnyAsync(c => c.WorkspaceId == workspaceId && c.Sequence >= from, ct)) return null;
            db.Checkpoints.Add(new CheckpointRecord
            {
                WorkspaceId = workspaceId, FirstSequence = checkpoint.FirstSequence, Sequence = checkpoint.Sequence, HeadHash = checkpoint.HeadHash,
                MerkleRoot = checkpoint.MerkleRoot, CreatedAt = checkpoint.CreatedAt, KeyId = checkpoint.KeyId, Signature = checkpoint.Signature,
            });
            try
            {
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
            {
                return null; // another writer signed this head first
            }
        }
        witness.Write(checkpoint); // still under the lease: no older checkpoint's witness lands after a newer one
        await leases.ReleaseAsync(LeaseName(workspaceId), ct);
        return checkpoint;
    }

    [LoggerMessage(LogLevel.Critical, "Not signing a checkpoint of workspace {Workspace}: sequences {From}–{To} do not verify ({Breaks} breaks) or do not continue the last signed checkpoint. Run verify.")]
    private partial void LogRefused(string workspace, long from, long to, int breaks);

    [LoggerMessage(LogLevel.Critical, "Not signing a checkpoint of workspace {Workspace}: the stored checkpoint at sequence {Sequence} is not signed by a trusted key. Run verify.")]
    private partial void LogUntrusted(string workspace, long sequence);
}

/// <summary>A verified read of a run of the chain: its Merkle root, first and last hash, and how many breaks it has.</summary>
public sealed record ChainRange(long Count, string? FirstHash, string? LastHash, string MerkleRoot, int Breaks)
{
    /// <summary>Reads sequences <paramref name="from"/>..<paramref name="to"/> page by page, checking each event against the one before.</summary>
    public static async Task<ChainRange> ReadAsync(IDbContextFactory<ImmutableDbContext> dbFactory, string workspaceId, long from, long to, int pageSize, CancellationToken ct)
    {
        var builder = new MerkleRootBuilder();
        string? first = null, last = null;
        ChainRun? run = null;
        var cursor = from - 1;
        while (cursor < to)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (run is null)
            {
                var predecessor = from <= 1 ? null : await db.Events.AsNoTracking()
                    .Where(e => e.WorkspaceId == workspaceId && e.Sequence == from - 1).FirstOrDefaultAsync(ct);
                var before = predecessor?.ToDomain();
                // Archived by retention: the retention cut is that event (its sequence and hash).
                if (from > 1 && before is null && await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.LastSequence == from - 1, ct) is { } cut)
                    before = cut.ToPredecessor();
                run = new ChainRun(before, maxBreaks: 1);
                if (from > 1 && before is null) run.Report(new ChainBreak(null, from - 1, ChainBreakType.ChainBreak, null, null, "The event before the range is missing."));
            }
            var rows = await db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == workspaceId && e.Sequence > cursor && e.Sequence <= to)
                .OrderBy(e => e.Sequence).Take(pageSize).ToListAsync(ct);
            if (rows.Count == 0) break;
            foreach (var row in rows)
            {
                run.Check(row.ToDomain());
                builder.Add(row.EventHash);
                first ??= row.EventHash;
                last = row.EventHash;
            }
            cursor = rows[^1].Sequence;
        }
        var breaks = run?.BreaksFound ?? 0;
        if (builder.Count != to - from + 1) breaks++;
        return new ChainRange(builder.Count, first, last, builder.RootHex(), breaks);
    }
}
