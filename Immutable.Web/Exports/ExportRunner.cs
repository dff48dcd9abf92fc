using System.Collections.Concurrent;
using Immutable.Domain.Chain;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Exports;

/// <summary>
/// Writes one export's file. Rows are read page by page in sequence order through the events API's own filter
/// (<see cref="Events.EventQuery.Filter"/>), each page with a fresh context, and written straight to a <c>.part</c>
/// file that becomes the export's file only when complete and flushed to disk.
/// Invariant: memory is one page of rows (<see cref="ExportOptions.PageSize"/>) whatever the export's size; the rows
/// are those stored up to <see cref="ExportRecord.SnapshotSequence"/>, so a rerun after a restart writes the same file.
/// With several instances an export is written by one of them: it runs under the lease <c>export:&lt;id&gt;</c>
/// (<see cref="LeaseStore"/>), renewed with every page; an instance that finds it held skips it, and one whose
/// renewal fails (it stalled past <see cref="Lease"/> and another took over) stops without touching the row.
/// </summary>
public sealed class ExportRunner(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    ExportFiles files,
    IExportProofSource proofs,
    IOptions<ExportOptions> options,
    LeaseStore leases,
    TimeProvider time,
    ILogger<ExportRunner> logger)
{
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    /// <summary>How long an export's lease lasts without a renewal (each page renews it): a dead instance's export is taken over after this.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    public static string LeaseName(string exportId) => "export:" + exportId;

    /// <summary>True while this instance is writing the export.</summary>
    public bool IsRunning(string exportId) => _running.ContainsKey(exportId);

    private sealed class LeaseLostException(string exportId) : Exception($"Export {exportId}: another instance took its lease over.");

    /// <summary>Runs a pending export, or one a previous process left processing; returns false when there was nothing to do.</summary>
    public async Task<bool> RunAsync(string exportId, CancellationToken ct)
    {
        if (!_running.TryAdd(exportId, 0)) return false;
        var part = "";
        var leased = false;
        try
        {
            // Another instance writing it (or its dead holder's lease not yet expired): not ours to run now.
            if (!await leases.TryAcquireAsync(LeaseName(exportId), Lease, ct)) return false;
            leased = true;
            ExportRecord row;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var found = await db.Exports.SingleOrDefaultAsync(e => e.Id == exportId, ct);
                if (found is null || found.Status is not (ExportStatus.Pending or ExportStatus.Processing)) return false;
                row = found;
                row.Status = ExportStatus.Processing;
                row.StartedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
                row.RowsWritten = 0;
                await db.SaveChangesAsync(ct);
            }

            var filters = ExportFilters.FromJson(row.Filters);
            var query = filters.ToQuery();
            var ws = row.WorkspaceId;
            var snapshot = row.SnapshotSequence;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var total = await query.Filter(db, ws).Where(e => e.Sequence <= snapshot).LongCountAsync(ct);
                await db.Exports.Where(e => e.Id == exportId).ExecuteUpdateAsync(s => s.SetProperty(e => e.TotalRows, total), ct);
            }

            Directory.CreateDirectory(files.Folder);
            var fileName = $"{row.Id}.{ExportFiles.Extension(row.Format)}";
            var path = files.PathOf(fileName);
            part = path + ".part";
            long written = 0, first = 0, last = 0;
            await using (var stream = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                await using (var writer = IExportFileWriter.For(row.Format, stream))
                {
                    if (row.Format == ExportFormat.Ndjson)
                    {
                        writer.WriteTrailer(new System.Text.Json.Nodes.JsonObject
                        {
                            ["kind"] = "bundle", ["v"] = 1, ["workspace_id"] = ws, ["export_id"] = row.Id,
                            ["filters"] = System.Text.Json.Nodes.JsonNode.Parse(row.Filters), ["snapshot_sequence"] = snapshot,
                            ["generated_at"] = Timestamps.ToIso(Timestamps.ToMicroseconds(time.GetUtcNow())),
                        }.ToJsonString());
                        await foreach (var line in proofs.KeyLinesAsync(ct)) writer.WriteTrailer(line);
                    }
                    var pageSize = options.Value.PageSize;
                    var cursor = 0L;
                    var lastProgress = time.GetTimestamp();
                    while (true)
                    {
                        List<EventRecord> page;
                        await using (var db = await dbFactory.CreateDbContextAsync(ct))
                        {
                            page = await query.Filter(db, ws)
                                .Where(e => e.Sequence > cursor && e.Sequence <= snapshot)
                                .OrderBy(e => e.Sequence)
                                .Take(pageSize)
                                .ToListAsync(ct);
                        }
                        if (page.Count == 0) break;
                        if (!await leases.TryAcquireAsync(LeaseName(exportId), Lease, ct)) throw new LeaseLostException(exportId);
                        foreach (var e in page) writer.Write(e);
                        if (first == 0) first = page[0].Sequence;
                        cursor = last = page[^1].Sequence;
                        written += page.Count;
                        if (time.GetElapsedTime(lastProgress) >= ProgressEvery)
                        {
                            await SetProgressAsync(exportId, written, ct);
                            lastProgress = time.GetTimestamp();
                        }
                        if (page.Count < pageSize) break;
                    }
                    if (row.Format == ExportFormat.Ndjson && written > 0)
                        await foreach (var line in proofs.ProofLinesAsync(ws, first, last, ct)) writer.WriteTrailer(line);
                    await writer.FlushAsync(ct);
                }
                // On disk before the export says completed: a crash after this point cannot leave a truncated file behind a completed row.
                stream.Flush(flushToDisk: true);
            }
            if (!await leases.TryAcquireAsync(LeaseName(exportId), Lease, ct)) throw new LeaseLostException(exportId);
            File.Move(part, path, overwrite: true);

            var size = new FileInfo(path).Length;
            var now = Timestamps.ToMicroseconds(time.GetUtcNow());
            await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
            {
                var done = await db.Exports.SingleAsync(e => e.Id == exportId, CancellationToken.None);
                done.Status = ExportStatus.Completed;
                done.FileName = fileName;
                done.TotalRows = written;
                done.RowsWritten = written;
                done.FileSize = size;
                done.CompletedAt = now;
                done.ExpiresAt = now.AddHours(options.Value.ExpiryHours);
                await db.SaveChangesAsync(CancellationToken.None);
            }
            logger.LogInformation("Export {ExportId}: {Rows} rows, {Bytes} bytes.", exportId, written, size);
            return true;
        }
        catch (LeaseLostException ex)
        {
            // The instance that took over writes the file and settles the row; this one only leaves.
            leased = false;
            TryDelete(part);
            logger.LogWarning("{Message}", ex.Message);
            return false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the row stays processing and runs again from the start at the next start-up.
            TryDelete(part);
            throw;
        }
        catch (Exception ex)
        {
            TryDelete(part);
            var message = StorageFaults.Classify(ex) is { } fault
                ? $"The export file could not be written: {fault}."
                : ex is IOException or UnauthorizedAccessException
                    ? "The export file could not be written (a file system error; see the server log)."
                    : "The export failed unexpectedly (see the server log).";
            logger.LogError(ex, "Export {ExportId} failed.", exportId);
            await FailAsync(exportId, message);
            return true;
        }
        finally
        {
            if (leased)
            {
                try { await leases.ReleaseAsync(LeaseName(exportId), CancellationToken.None); }
                catch (Exception ex) when (StorageFaults.Classify(ex) is not null || ex is InvalidOperationException) { logger.LogWarning(ex, "Export {ExportId}: its lease could not be released; it expires on its own.", exportId); }
            }
            _running.TryRemove(exportId, out _);
        }
    }

    private async Task SetProgressAsync(string exportId, long written, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Exports.Where(e => e.Id == exportId).ExecuteUpdateAsync(s => s.SetProperty(e => e.RowsWritten, written), ct);
    }

    private async Task FailAsync(string exportId, string message)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.Exports.Where(e => e.Id == exportId).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Status, ExportStatus.Failed)
                .SetProperty(e => e.ErrorMessage, message)
                .SetProperty(e => e.CompletedAt, Timestamps.ToMicroseconds(time.GetUtcNow())), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The row stays processing: the next start-up runs it again.
            logger.LogError(ex, "Could not record the failure of export {ExportId}.", exportId);
        }
    }

    private static void TryDelete(string path)
    {
        if (path.Length == 0) return;
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Runs exports in the background, <see cref="ExportOptions.Workers"/> at a time. At start-up every export left
/// pending or processing by a previous process is queued again (a processing one starts over from its snapshot), and
/// then every <see cref="SweepInterval"/> again: with several instances, one that died mid-export leaves its row
/// processing, and another takes it over once its lease has expired (the runner skips exports whose lease is held).
/// </summary>
public sealed class ExportWorker(ExportRunner runner, ExportQueue queue, IDbContextFactory<ImmutableDbContext> dbFactory,
    IOptions<ExportOptions> options, ILogger<ExportWorker> logger) : BackgroundService
{
    /// <summary>
    /// Queues what a previous process left unfinished before the host serves requests, so the scan sees only rows that
    /// existed at start-up (an export asked for a moment later is queued by its request, not picked up here as well).
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var unfinished = await UnfinishedAsync(cancellationToken);
            foreach (var id in unfinished) queue.Enqueue(id);
            if (unfinished.Count > 0) logger.LogInformation("Resuming {Count} unfinished export(s).", unfinished.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not read the unfinished exports; they run when asked for again.");
        }
        await base.StartAsync(cancellationToken);
    }

    /// <summary>How often unfinished exports are looked for again (infrastructure timing: real time).</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private async Task<List<string>> UnfinishedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Exports.AsNoTracking()
            .Where(e => e.Status == ExportStatus.Pending || e.Status == ExportStatus.Processing)
            .OrderBy(e => e.CreatedAt).Select(e => e.Id).ToListAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(Enumerable.Range(0, options.Value.Workers).Select(_ => ConsumeAsync(stoppingToken)).Append(SweepAsync(stoppingToken)));
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // Queued again only if not running here; the runner skips those another live instance holds.
                    foreach (var id in await UnfinishedAsync(stoppingToken))
                        if (!runner.IsRunning(id)) queue.Enqueue(id);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Looking for unfinished exports failed; retrying.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await runner.RunAsync(id, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Export {ExportId} could not be run.", id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
