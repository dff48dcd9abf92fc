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
/// A copy of each workspace's latest signed checkpoint in a file outside the database (<c>Integrity:WitnessPath</c>):
/// deleting checkpoints and events from the database together still leaves this witness of how far the chain reached.
/// </summary>
public sealed partial class CheckpointWitnessFile(IntegrityPaths paths)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public void Write(Checkpoint checkpoint)
    {
        var dir = paths.WitnessDirectory;
        Directory.CreateDirectory(dir);
        var path = PathFor(checkpoint.WorkspaceId);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, CheckpointJson.From(checkpoint), Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The witnessed checkpoint, or null when there is none (or the file is unreadable: verification then reports on what the database holds).</summary>
    public Checkpoint? Read(string workspaceId)
    {
        var path = PathFor(workspaceId);
        if (!File.Exists(path)) return null;
        try
        {
            var json = JsonSerializer.Deserialize<CheckpointJson>(File.ReadAllText(path), Json);
            return json is null || json.WorkspaceId != workspaceId ? null : json.ToDomain();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException)
        {
            return null;
        }
    }

    /// <summary>Workspace ids are ours (<c>ws_…</c>); anything else is hashed so it can never leave the folder.</summary>
    private string PathFor(string workspaceId) =>
        Path.Combine(paths.WitnessDirectory, (SafeName().IsMatch(workspaceId) ? workspaceId : SignedStatements.Sha256Hex(workspaceId)) + ".checkpoint.json");

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
    CheckpointWitnessFile witness,
    IOptions<IntegrityOptions> options,
    TimeProvider time,
    ILogger<CheckpointWriter> logger)
{
    /// <param name="force">Write one now if there are new events at all (the CLI, tests, anchors).</param>
    public async Task<Checkpoint?> WriteIfDueAsync(string workspaceId, bool force, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var last = await db.Checkpoints.AsNoTracking().Where(c => c.WorkspaceId == workspaceId)
            .OrderByDescending(c => c.Sequence).FirstOrDefaultAsync(ct);
        var head = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId)
            .OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.EventHash }).FirstOrDefaultAsync(ct);
        var from = (last?.Sequence ?? 0) + 1;
        if (head is null || head.Sequence < from) return null;

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
        db.Checkpoints.Add(new CheckpointRecord
        {
            WorkspaceId = workspaceId, FirstSequence = checkpoint.FirstSequence, Sequence = checkpoint.Sequence, HeadHash = checkpoint.HeadHash,
            MerkleRoot = checkpoint.MerkleRoot, CreatedAt = checkpoint.CreatedAt, KeyId = checkpoint.KeyId, Signature = checkpoint.Signature,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
        {
            return null; // another writer signed this head first
        }
        witness.Write(checkpoint);
        return checkpoint;
    }

    [LoggerMessage(LogLevel.Critical, "Not signing a checkpoint of workspace {Workspace}: sequences {From}–{To} do not verify ({Breaks} breaks). Run verify.")]
    private partial void LogRefused(string workspace, long from, long to, int breaks);
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
