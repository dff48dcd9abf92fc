using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Retention;

public sealed record RetentionCutJson(long Sequence, string EventHash, string CreatedAt);

public sealed record RetentionRunJson(string StartedAt, string? FinishedAt, bool Running, int ArchivesWritten, long EventsArchived, string? Error);

/// <param name="ArchiveBefore">Events created before this instant are archived by the next run (null: kept forever).</param>
/// <param name="ArchivedThrough">The retention cut: the last archived event, which the oldest stored event links to.</param>
public sealed record RetentionJson(
    int? RetentionDays,
    string? ArchiveBefore,
    string? OldestEventAt,
    RetentionCutJson? ArchivedThrough,
    int Archives,
    RetentionRunJson? LastRun);

public sealed record ArchiveJson(
    string Id, string Day, string FileName, long EventCount, long FirstSequence, long LastSequence,
    string? FirstPreviousEventHash, string FirstEventHash, string LastEventHash, string FirstCreatedAt, string LastCreatedAt,
    long SizeBytes, string Sha256, string CreatedAt)
{
    public static ArchiveJson From(ArchiveRecord a) => new(a.Id, a.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), a.FileName,
        a.EventCount, a.FirstSequence, a.LastSequence, a.FirstPreviousEventHash, a.FirstEventHash, a.LastEventHash,
        Timestamps.ToIso(a.FirstCreatedAt), Timestamps.ToIso(a.LastCreatedAt), a.SizeBytes, a.Sha256, Timestamps.ToIso(a.CreatedAt));
}

/// <summary>
/// A workspace's retention window and archives, for the API and the dashboard alike: everyone reads them, admins and
/// owners (and API keys) change the window, and each change is recorded in the chain as <c>retention.updated</c>.
/// </summary>
public sealed class RetentionService(IDbContextFactory<ImmutableDbContext> dbFactory, RetentionArchiver archiver, AuditTrail audit, TimeProvider time)
{
    public async Task<RetentionJson> GetAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var days = await db.Workspaces.AsNoTracking().Where(w => w.Id == ws).Select(w => w.RetentionDays).SingleOrDefaultAsync(ct);
        var oldest = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == ws).OrderBy(e => e.Sequence).Select(e => (DateTime?)e.CreatedAt).FirstOrDefaultAsync(ct);
        var cut = await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == ws, ct);
        var archives = await db.Archives.CountAsync(a => a.WorkspaceId == ws, ct);
        var run = archiver.LastRun(ws);
        return new RetentionJson(
            days,
            days is { } d ? Timestamps.ToIso(RetentionArchiver.CutoffFor(time.GetUtcNow().UtcDateTime, d)) : null,
            oldest is { } o ? Timestamps.ToIso(o) : null,
            cut is null ? null : new RetentionCutJson(cut.LastSequence, cut.LastEventHash, Timestamps.ToIso(cut.LastCreatedAt)),
            archives,
            run is null ? null : new RetentionRunJson(Timestamps.ToIso(run.StartedAt), run.FinishedAt is { } f ? Timestamps.ToIso(f) : null,
                run.FinishedAt is null, run.ArchivesWritten, run.EventsArchived, run.Error));
    }

    /// <summary>Sets <c>retention_days</c> from <c>{"retention_days": 1..36500 | null}</c> (null keeps events forever).</summary>
    public async Task<Result<RetentionJson>> UpdateAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (root, problem) = await input.ReadAsync(ct);
        if (problem is not null) return problem;
        if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object");
        if (!root.TryGetProperty("retention_days", out var value)) return Problem.Invalid("retention_days", "is required (a number of days, or null to keep events forever)");
        int? days = null;
        if (value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < 1 || n > RetentionOptions.MaxRetentionDays)
                return Problem.Invalid("retention_days", $"must be a whole number of days from 1 to {RetentionOptions.MaxRetentionDays}, or null to keep events forever");
            days = n;
        }
        return await SetAsync(who, days, ct);
    }

    /// <summary>The dashboard's form: the same checks as the API.</summary>
    public async Task<Result<RetentionJson>> SetAsync(WorkspacePrincipal who, int? days, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        if (days is < 1 or > RetentionOptions.MaxRetentionDays)
            return Problem.Invalid("retention_days", $"must be a whole number of days from 1 to {RetentionOptions.MaxRetentionDays}, or empty to keep events forever");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspace = await db.Workspaces.SingleOrDefaultAsync(w => w.Id == who.WorkspaceId, ct);
        if (workspace is null) return Problem.NotFound("Workspace");
        var before = workspace.RetentionDays;
        if (before != days)
        {
            workspace.RetentionDays = days;
            await db.SaveChangesAsync(ct);
            await audit.RecordOrUndoAsync(db, who.WorkspaceId, who.Actor, "retention.updated", "workspace", workspace.Id, workspace.Name,
                new JsonObject { ["before"] = before, ["after"] = days }, () => workspace.RetentionDays = before, ct);
        }
        return await GetAsync(who, ct);
    }

    public async Task<IReadOnlyList<ArchiveJson>> ArchivesAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Archives.AsNoTracking().Where(a => a.WorkspaceId == who.WorkspaceId).OrderByDescending(a => a.Day).ToListAsync(ct);
        return rows.Select(ArchiveJson.From).ToList();
    }

    /// <summary>Starts the workspace's retention run now (in the background) instead of waiting for the daily job.</summary>
    public async Task<Result<RetentionJson>> RunNowAsync(WorkspacePrincipal who, CancellationToken stopping, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        if (!archiver.TryStart(who.WorkspaceId, stopping))
            return Problem.Conflict(new ApiError("conflict", "A retention run of this workspace is already in progress."));
        return await GetAsync(who, ct);
    }
}
