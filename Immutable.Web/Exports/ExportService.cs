using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Exports;

/// <summary>An export as the API shows it. <see cref="DownloadUrl"/> is set once completed (the API makes it absolute).</summary>
public sealed record ExportJson(
    string Id,
    ExportStatus Status,
    ExportFormat Format,
    RawJson Filters,
    long? TotalRows,
    long RowsWritten,
    long? FileSize,
    string? DownloadUrl,
    string? ErrorMessage,
    string CreatedAt,
    string? StartedAt,
    string? CompletedAt,
    string ExpiresAt,
    bool Expired);

/// <summary>POST /api/v1/exports answers the id and status at the top level (as the client libraries read them) and the export in data.</summary>
public sealed record ExportCreatedJson(string Id, ExportStatus Status, ExportJson Data);

/// <summary>An export file ready to stream.</summary>
public sealed record ExportDownload(string Path, string ContentType, string FileName);

/// <summary>
/// Exports of a workspace's events, for the API and the dashboard alike: anyone who can read the workspace's events
/// may export them (the request is recorded in the workspace's chain as <c>export.created</c>); at most
/// <see cref="ExportOptions.MaxRunningPerWorkspace"/> wait or run at once; the file is written in the background by
/// <see cref="ExportRunner"/> and removed after <see cref="ExportOptions.ExpiryHours"/>.
/// </summary>
public sealed class ExportService(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    ExportQueue queue,
    ExportFiles files,
    ExportDownloadLinks links,
    AuditTrail audit,
    IOptions<ExportOptions> options,
    TimeProvider time,
    ILogger<ExportService> logger)
{
    // Per workspace, the running count and the insert must not interleave between two requests of this process.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _createGates = new(StringComparer.Ordinal);

    public async Task<Result<ExportJson>> CreateAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        var (root, problem) = await input.ReadAsync(ct);
        if (problem is not null) return problem;
        var violations = new List<Violation>();
        var (filters, format) = ExportFilters.Parse(root, violations);
        if (violations.Count > 0) return Problem.Invalid(violations);

        var ws = who.WorkspaceId;
        var max = options.Value.MaxRunningPerWorkspace;
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        ExportRecord row;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var gate = _createGates.GetOrAdd(ws, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var running = await db.Exports.CountAsync(e => e.WorkspaceId == ws && (e.Status == ExportStatus.Pending || e.Status == ExportStatus.Processing), ct);
            if (running >= max)
                return new Problem(StatusCodes.Status429TooManyRequests, new ApiError("rate_limited",
                    $"This workspace already has {running} exports waiting or running (at most {max}); retry when one has finished."));
            row = new ExportRecord
            {
                Id = "exp_" + Guid.NewGuid().ToString("D"),
                WorkspaceId = ws,
                Status = ExportStatus.Pending,
                Format = format,
                Filters = filters.ToJson(),
                // The export holds the events stored when it was asked for, whenever it runs.
                SnapshotSequence = await db.Events.Where(e => e.WorkspaceId == ws).MaxAsync(e => (long?)e.Sequence, ct) ?? 0,
                CreatedBy = who.Actor.Id,
                CreatedAt = now,
                ExpiresAt = now.AddHours(options.Value.ExpiryHours),
            };
            db.Exports.Add(row);
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            gate.Release();
        }
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "export.created", "export", row.Id, null,
            new JsonObject { ["format"] = WireName.Of(format), ["filters"] = JsonNode.Parse(row.Filters) }, () => db.Exports.Remove(row), ct);
        queue.Enqueue(row.Id);
        return ToJson(row, now);
    }

    public async Task<Result<ExportJson>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Exports.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.WorkspaceId == who.WorkspaceId, ct);
        return row is null ? Problem.NotFound("Export") : ToJson(row, time.GetUtcNow().UtcDateTime);
    }

    /// <summary>The workspace's newest exports (the dashboard's list).</summary>
    public async Task<IReadOnlyList<ExportJson>> ListAsync(WorkspacePrincipal who, int limit = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Exports.AsNoTracking().Where(e => e.WorkspaceId == who.WorkspaceId)
            .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(limit).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        return rows.Select(r => ToJson(r, now)).ToList();
    }

    /// <summary>
    /// The file of a completed, unexpired export. Either <paramref name="token"/> (a signed link) or the caller's
    /// workspace (<paramref name="workspaceId"/>, from the API key) must name it.
    /// </summary>
    public async Task<Result<ExportDownload>> DownloadAsync(string id, string? token, string? workspaceId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) && workspaceId is null) return new Problem(StatusCodes.Status401Unauthorized, ApiError.Unauthenticated);
        if (!string.IsNullOrEmpty(token) && links.ExpiryOf(token, id) is null)
            return new Problem(StatusCodes.Status401Unauthorized, new ApiError("unauthenticated",
                "This download link is not valid; GET /api/v1/exports/{id} gives a fresh one."));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Exports.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct);
        // With a key, another workspace's export does not exist; a valid token names this export only.
        if (row is null || (string.IsNullOrEmpty(token) && row.WorkspaceId != workspaceId)) return Problem.NotFound("Export");
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= row.ExpiresAt || row.FileDeletedAt is not null)
            return new Problem(StatusCodes.Status410Gone, new ApiError("gone", $"This export expired at {Timestamps.ToIso(row.ExpiresAt)} and its file was deleted; create a new export."));
        if (row.Status != ExportStatus.Completed)
            return Problem.Conflict(new ApiError("export_not_ready", row.Status == ExportStatus.Failed
                ? $"This export failed ({row.ErrorMessage}); there is nothing to download. Create a new export."
                : $"This export is {WireName.Of(row.Status)}; download it once its status is completed."));
        var path = files.PathOf(row.FileName!);
        if (!File.Exists(path))
            return new Problem(StatusCodes.Status410Gone, new ApiError("gone", "This export's file no longer exists; create a new export."));
        return new ExportDownload(path, row.Format == ExportFormat.Csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
            $"immutable-{row.Id}.{ExportFiles.Extension(row.Format)}");
    }

    /// <summary>Deletes the files of expired exports (the rows stay: a late download answers 410, not 404).</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken ct = default)
    {
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expired = await db.Exports.Where(e => e.ExpiresAt <= now && e.FileDeletedAt == null
            && (e.Status == ExportStatus.Completed || e.Status == ExportStatus.Failed)).ToListAsync(ct);
        foreach (var row in expired)
        {
            try
            {
                if (row.FileName is { } name) File.Delete(files.PathOf(name));
                row.FileDeletedAt = now;
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Could not delete the file of expired export {ExportId}; will retry.", row.Id);
            }
        }
        await db.SaveChangesAsync(ct);
        return expired.Count(r => r.FileDeletedAt is not null);
    }

    private ExportJson ToJson(ExportRecord r, DateTime now)
    {
        var expired = now >= r.ExpiresAt || r.FileDeletedAt is not null;
        return new(r.Id, r.Status, r.Format, new RawJson(r.Filters), r.TotalRows, r.RowsWritten, r.FileSize,
            r.Status == ExportStatus.Completed && !expired ? links.PathFor(r.Id, r.ExpiresAt) : null,
            r.ErrorMessage, Timestamps.ToIso(r.CreatedAt), r.StartedAt is { } s ? Timestamps.ToIso(s) : null,
            r.CompletedAt is { } c ? Timestamps.ToIso(c) : null, Timestamps.ToIso(r.ExpiresAt), expired);
    }
}

/// <summary>Where export files live: <see cref="ExportOptions.Path"/>, or <c>exports/</c> in the data folder.</summary>
public sealed class ExportFiles
{
    public ExportFiles(IOptions<ExportOptions> options, StorageDataDirectory dataDirectory)
    {
        var folder = options.Value.Path is { Length: > 0 } configured
            ? System.IO.Path.GetFullPath(configured)
            : System.IO.Path.Combine(dataDirectory.Path, "exports");
        Folder = folder;
    }

    public string Folder { get; }

    /// <summary>Names are ours (<c>exp_&lt;uuid&gt;.csv</c>); anything with a path separator is refused.</summary>
    public string PathOf(string fileName) =>
        fileName.IndexOfAny(['/', '\\']) >= 0 || fileName.Contains("..", StringComparison.Ordinal)
            ? throw new ArgumentException("Not an export file name.", nameof(fileName))
            : System.IO.Path.Combine(Folder, fileName);

    public static string Extension(ExportFormat format) => format == ExportFormat.Csv ? "csv" : "ndjson";
}
