using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Components.Pages.Triage;

/// <summary>
/// The triage grid's server paging: one page and the total from the database, newest first, so the page costs the
/// same with 100 or 100 000 findings stored (indexes: workspace + status + row id).
/// </summary>
public sealed class TriageQueries(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    public async Task<(IReadOnlyList<TriageRow> Rows, int Total)> PageAsync(string workspaceId, TriageFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (filter.IsObservations)
        {
            var query = db.Observations.AsNoTracking().Where(o => o.WorkspaceId == workspaceId);
            if (filter.Status is { } status) query = query.Where(o => o.Status == status);
            if (filter.Severities.Count > 0) query = query.Where(o => filter.Severities.Contains(o.Severity));
            if (filter.SourceId is { } monitor) query = query.Where(o => o.MonitorId == monitor);
            if (filter.Actor is { } actor) query = query.Where(o => o.UserId == actor);
            if (filter.From is { } from) query = query.Where(o => o.CreatedAt >= from);
            if (filter.To is { } to) query = query.Where(o => o.CreatedAt <= to);
            var total = await query.CountAsync(ct);
            var rows = await query.OrderByDescending(o => o.RowId).Skip(page * pageSize).Take(pageSize)
                .Select(o => new TriageRow("observation", o.Id, o.Severity, o.Status, o.MonitorName, null, o.UserId, o.Message, o.CreatedAt, o.RelatedEventCount, o.AcknowledgedBy))
                .ToListAsync(ct);
            return (rows, total);
        }
        else
        {
            var query = db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == workspaceId);
            if (filter.Status is { } status) query = query.Where(a => a.Status == status);
            if (filter.Severities.Count > 0) query = query.Where(a => filter.Severities.Contains(a.Severity));
            if (filter.RuleType is { } type) query = query.Where(a => a.RuleType == type);
            if (filter.SourceId is { } rule) query = query.Where(a => a.RuleId == rule);
            if (filter.Actor is { } actor) query = query.Where(a => a.ActorId == actor);
            if (filter.From is { } from) query = query.Where(a => a.TriggeredAt >= from);
            if (filter.To is { } to) query = query.Where(a => a.TriggeredAt <= to);
            var total = await query.CountAsync(ct);
            var rows = await query.OrderByDescending(a => a.RowId).Skip(page * pageSize).Take(pageSize)
                .Select(a => new TriageRow("alert", a.Id, a.Severity, a.Status, a.RuleName, a.RuleType, a.ActorId, a.Reason, a.TriggeredAt, a.HitCount, a.AcknowledgedBy))
                .ToListAsync(ct);
            return (rows, total);
        }
    }

    /// <summary>Rules and monitors by id and name, for the source filter.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> SourcesAsync(string workspaceId, bool observations, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return observations
            ? (await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == workspaceId).OrderBy(m => m.Name).Select(m => new { m.Id, m.Name }).ToListAsync(ct)).Select(m => (m.Id, m.Name)).ToList()
            : (await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == workspaceId).OrderBy(r => r.Name).Select(r => new { r.Id, r.Name }).ToListAsync(ct)).Select(r => (r.Id, r.Name)).ToList();
    }
}
