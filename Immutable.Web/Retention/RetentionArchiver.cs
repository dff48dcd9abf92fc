using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Retention;

/// <summary>The last retention run of a workspace (shown in Settings and GET /api/v1/retention).</summary>
public sealed record RetentionRun(DateTime StartedAt, DateTime? FinishedAt, int ArchivesWritten, long EventsArchived, string? Error);

/// <summary>
/// Moves a workspace's events older than its retention window out of the store, one UTC day (by created_at) at a
/// time: the day's events go to a gzipped JSON Lines archive, which is flushed to disk, re-read and verified
/// (<see cref="ArchiveFile.VerifyAsync"/>), described by a manifest, recorded in <c>archives</c>, and only then are its
/// rows deleted, in small transactions that each advance the retention cut (the last deleted event's sequence and hash).
/// Invariants: no row is deleted that is not in a verified archive on disk; the cut is always the last deleted
/// event, so verification links the oldest remaining event to it; a day is archived once (created_at never goes back
/// within a workspace, so a day before the cut-off is final); a run interrupted between deletions finishes them next time.
/// </summary>
public sealed class RetentionArchiver(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IOptions<RetentionOptions> options,
    StorageDataDirectory dataDirectory,
    CommittedEventTail tail,
    TimeProvider time,
    ILogger<RetentionArchiver> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RetentionRun> _runs = new(StringComparer.Ordinal);

    public string ArchiveRoot { get; } = options.Value.ArchivePath is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : Path.Combine(dataDirectory.Path, "archive");

    public RetentionRun? LastRun(string workspaceId) => _runs.GetValueOrDefault(workspaceId);

    public bool IsRunning(string workspaceId) => _runs.TryGetValue(workspaceId, out var run) && run.FinishedAt is null;

    /// <summary>Starts a run of the workspace in the background; false when one is already running.</summary>
    public bool TryStart(string workspaceId, CancellationToken stopping)
    {
        lock (_runs)
        {
            if (IsRunning(workspaceId)) return false;
            _runs[workspaceId] = new RetentionRun(Timestamps.ToMicroseconds(time.GetUtcNow()), null, 0, 0, null);
        }
        _ = Task.Run(async () =>
        {
            try { await RunAsync(workspaceId, stopping); }
            catch (Exception ex) when (ex is not OperationCanceledException) { /* logged and recorded in the run */ }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
        return true;
    }

    /// <summary>The daily job: every workspace that has a retention window.</summary>
    public async Task RunAllAsync(CancellationToken ct)
    {
        List<string> workspaces;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            workspaces = await db.Workspaces.AsNoTracking().Where(w => w.RetentionDays != null).Select(w => w.Id).ToListAsync(ct);
        foreach (var ws in workspaces)
        {
            try { await RunAsync(ws, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Recorded in the run; the other workspaces still run.
            }
        }
    }

    /// <summary>Archives what the workspace's retention window excludes; nothing when it has none.</summary>
    public async Task<RetentionRun> RunAsync(string workspaceId, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(workspaceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        var run = new RetentionRun(Timestamps.ToMicroseconds(time.GetUtcNow()), null, 0, 0, null);
        _runs[workspaceId] = run;
        try
        {
            int? days;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                days = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.RetentionDays).SingleOrDefaultAsync(ct);
            if (days is { } d)
            {
                // Interrupted runs first: an archive recorded but whose rows were not all deleted.
                foreach (var unfinished in await UnfinishedAsync(workspaceId, ct))
                    run = run with { EventsArchived = run.EventsArchived + await DeleteThroughAsync(workspaceId, unfinished.LastSequence, ct) };
                var cutoff = CutoffFor(time.GetUtcNow().UtcDateTime, d);
                while (await ArchiveOldestDayAsync(workspaceId, cutoff, ct) is { } archive)
                {
                    var deleted = await DeleteThroughAsync(workspaceId, archive.LastSequence, ct);
                    run = run with { ArchivesWritten = run.ArchivesWritten + 1, EventsArchived = run.EventsArchived + deleted };
                    _runs[workspaceId] = run;
                }
            }
            run = run with { FinishedAt = Timestamps.ToMicroseconds(time.GetUtcNow()) };
            return run;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Retention of workspace {WorkspaceId} failed; no event was deleted that is not in a verified archive.", workspaceId);
            run = run with { FinishedAt = Timestamps.ToMicroseconds(time.GetUtcNow()), Error = ex is ArchiveVerificationException ? ex.Message : "The archive run failed (see the server log)." };
            throw;
        }
        finally
        {
            if (run.FinishedAt is null) run = run with { FinishedAt = Timestamps.ToMicroseconds(time.GetUtcNow()), Error = "Interrupted: the host stopped; the next run goes on." };
            _runs[workspaceId] = run;
            gate.Release();
        }
    }

    /// <summary>Events created before this instant (a UTC midnight) are outside a window of <paramref name="retentionDays"/> days.</summary>
    public static DateTime CutoffFor(DateTime nowUtc, int retentionDays) => nowUtc.Date.AddDays(-retentionDays);

    private async Task<List<ArchiveRecord>> UnfinishedAsync(string ws, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cut = await db.RetentionCuts.AsNoTracking().Where(c => c.WorkspaceId == ws).Select(c => (long?)c.LastSequence).SingleOrDefaultAsync(ct) ?? 0;
        return await db.Archives.AsNoTracking().Where(a => a.WorkspaceId == ws && a.LastSequence > cut).OrderBy(a => a.FirstSequence).ToListAsync(ct);
    }

    /// <summary>Writes, verifies and records the archive of the oldest remaining day if it is before <paramref name="cutoff"/>.</summary>
    private async Task<ArchiveRecord?> ArchiveOldestDayAsync(string ws, DateTime cutoff, CancellationToken ct)
    {
        RetentionCutRecord? cut;
        DateTime day;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var oldest = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == ws).OrderBy(e => e.Sequence)
                .Select(e => new { e.Sequence, e.CreatedAt }).FirstOrDefaultAsync(ct);
            if (oldest is null || oldest.CreatedAt >= cutoff) return null;
            day = oldest.CreatedAt.Date;
            if (await db.Archives.AnyAsync(a => a.WorkspaceId == ws && a.Day == day, ct))
                throw new ArchiveVerificationException($"Events of {day:yyyy-MM-dd} remain although that day was already archived; retention of this workspace stops until someone looks.");
            cut = await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == ws, ct);
        }

        var folder = Path.Combine(ArchiveRoot, SafeName(ws));
        Directory.CreateDirectory(folder);
        var relative = $"{SafeName(ws)}/{day:yyyy-MM-dd}{ArchiveFile.Extension}";
        var path = Path.Combine(ArchiveRoot, relative);
        var part = path + ".part";
        var dayEnd = day.AddDays(1);
        long count = 0;
        EventRecord? first = null, last = null;
        await using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            await using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            await using (var writer = new StreamWriter(gzip, new UTF8Encoding(false), 64 * 1024))
            {
                var cursor = cut?.LastSequence ?? 0;
                while (true)
                {
                    List<EventRecord> page;
                    await using (var db = await dbFactory.CreateDbContextAsync(ct))
                    {
                        page = await db.Events.AsNoTracking()
                            .Where(e => e.WorkspaceId == ws && e.Sequence > cursor && e.CreatedAt < dayEnd)
                            .OrderBy(e => e.Sequence).Take(options.Value.PageSize).ToListAsync(ct);
                    }
                    if (page.Count == 0) break;
                    foreach (var e in page)
                    {
                        await writer.WriteAsync(StoredEventLine.Format(e.ToDomain()));
                        await writer.WriteAsync('\n');
                    }
                    first ??= page[0];
                    last = page[^1];
                    count += page.Count;
                    cursor = last.Sequence;
                    if (page.Count < options.Value.PageSize) break;
                }
            }
            file.Flush(flushToDisk: true);
        }
        if (first is null || last is null)
        {
            File.Delete(part);
            return null;
        }
        File.Move(part, path, overwrite: true);

        // Re-read from disk: only what is really there, readable and intact, may replace the rows.
        var expectedPrevious = first.Sequence == 1 ? null : cut?.LastEventHash ?? first.PreviousEventHash;
        var check = await ArchiveFile.VerifyAsync(path, null, ct);
        var mismatch = !check.Valid ? string.Join("; ", check.Problems)
            : check.EventCount != count ? $"it holds {check.EventCount} events, {count} were written"
            : check.FirstSequence != first.Sequence || check.LastSequence != last.Sequence ? "its sequences are not the ones written"
            : check.LastEventHash != last.EventHash || check.FirstEventHash != first.EventHash ? "its hashes are not the stored ones"
            : !string.Equals(check.FirstPreviousEventHash, expectedPrevious, StringComparison.Ordinal) ? "its first event does not link to the retention cut"
            : null;
        if (mismatch is not null)
            throw new ArchiveVerificationException($"The archive {relative} did not verify after writing ({mismatch}); no event was deleted.");

        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var record = new ArchiveRecord
        {
            Id = "arc_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Day = day,
            FileName = relative,
            EventCount = count,
            FirstSequence = first.Sequence,
            LastSequence = last.Sequence,
            FirstPreviousEventHash = first.PreviousEventHash,
            FirstEventHash = first.EventHash,
            LastEventHash = last.EventHash,
            FirstCreatedAt = first.CreatedAt,
            LastCreatedAt = last.CreatedAt,
            SizeBytes = check.SizeBytes,
            Sha256 = check.Sha256,
            CreatedAt = now,
        };
        var manifest = new ArchiveManifest(ArchiveManifest.FormatName, ws, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Path.GetFileName(path), count, first.Sequence, last.Sequence, first.PreviousEventHash, first.EventHash, last.EventHash,
            Timestamps.ToIso(first.CreatedAt), Timestamps.ToIso(last.CreatedAt), check.SizeBytes, check.Sha256, EventHashing.EncodingVersion, Timestamps.ToIso(now));
        await ArchiveFile.WriteDurablyAsync(ArchiveFile.ManifestPathFor(path), JsonSerializer.SerializeToUtf8Bytes(manifest, ArchiveManifest.Json), ct);

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Archives.Add(record);
            await db.SaveChangesAsync(ct);
        }
        logger.LogInformation("Archived {Count} events of workspace {WorkspaceId} created on {Day:yyyy-MM-dd} to {File} ({Bytes} bytes).", count, ws, day, relative, check.SizeBytes);
        return record;
    }

    /// <summary>Deletes the stored events up to <paramref name="lastSequence"/> in small transactions, each moving the cut; returns how many.</summary>
    private async Task<long> DeleteThroughAsync(string ws, long lastSequence, CancellationToken ct)
    {
        long deleted = 0;
        var batch = options.Value.DeleteBatchSize;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var cut = await db.RetentionCuts.SingleOrDefaultAsync(c => c.WorkspaceId == ws, ct);
            var from = cut?.LastSequence ?? 0;
            if (from >= lastSequence) break;
            var to = Math.Min(lastSequence, from + batch);
            var end = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == ws && e.Sequence > from && e.Sequence <= to)
                .OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.EventHash, e.CreatedAt }).FirstOrDefaultAsync(ct);
            if (end is null)
            {
                // Nothing stored in the range (deleted by an earlier, interrupted run whose cut did not move? impossible: same
                // transaction). Move on without inventing a hash: stop and let the next run look again.
                logger.LogWarning("Retention of workspace {WorkspaceId}: no stored event in sequences {From}..{To}; stopping.", ws, from + 1, to);
                break;
            }
            // event_row_id IN (the batch's row ids): the targets' index on event_row_id serves it, however many targets are stored.
            var batchRows = db.Events.Where(e => e.WorkspaceId == ws && e.Sequence > from && e.Sequence <= to).Select(e => e.RowId);
            await db.EventTargets.Where(t => batchRows.Contains(t.EventRowId)).ExecuteDeleteAsync(ct);
            deleted += await db.Events.Where(e => e.WorkspaceId == ws && e.Sequence > from && e.Sequence <= to).ExecuteDeleteAsync(ct);
            var now = Timestamps.ToMicroseconds(time.GetUtcNow());
            if (cut is null)
                db.RetentionCuts.Add(new RetentionCutRecord { WorkspaceId = ws, LastSequence = end.Sequence, LastEventHash = end.EventHash, LastCreatedAt = end.CreatedAt, UpdatedAt = now });
            else
                (cut.LastSequence, cut.LastEventHash, cut.LastCreatedAt, cut.UpdatedAt) = (end.Sequence, end.EventHash, end.CreatedAt, now);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            // Workers fed from memory must not be handed what the store no longer holds.
            tail.ForgetThrough(ws, end.Sequence);
        }
        return deleted;
    }

    /// <summary>Workspace ids are ours (ws_…); anything else is reduced to letters, digits, '_' and '-' before it names a folder.</summary>
    private static string SafeName(string workspaceId) =>
        string.Concat(workspaceId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'));
}

/// <summary>An archive did not prove itself; nothing was deleted.</summary>
public sealed class ArchiveVerificationException(string message) : Exception(message);
