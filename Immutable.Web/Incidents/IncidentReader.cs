using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Incidents;

/// <summary>The dashboard's incident list: filtered, the most recently active first, one page at a time.</summary>
public sealed class IncidentReader(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    /// <summary>
    /// One page of the filtered incidents, limited to a time range: by event time, the incidents whose findings' span overlaps it; by
    /// ingestion time, those created within it. A null bound is open.
    /// </summary>
    public async Task<(IReadOnlyList<IncidentRecord> Rows, int Total)> PageAsync(
        string workspaceId, string? status, IReadOnlyCollection<string> severities, string? actor,
        DateTime? from, DateTime? to, bool byOccurred, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Incidents.AsNoTracking().Where(i => i.WorkspaceId == workspaceId);
        if (from is { } f) query = byOccurred ? query.Where(i => i.LastActivityAt >= f) : query.Where(i => i.CreatedAt >= f);
        if (to is { } t) query = byOccurred ? query.Where(i => i.FirstActivityAt <= t) : query.Where(i => i.CreatedAt <= t);
        if (WireName.TryParse<IncidentStatus>(status, out var s)) query = query.Where(i => i.Status == s);
        var parsed = severities.Select(x => WireName.TryParse<Severity>(x, out var v) ? v : (Severity?)null).OfType<Severity>().ToList();
        if (parsed.Count > 0) query = query.Where(i => parsed.Contains(i.Severity));
        if (!string.IsNullOrEmpty(actor)) query = query.Where(i => i.ActorId == actor);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(i => i.LastActivityAt).ThenByDescending(i => i.RowId)
            .Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return (rows, total);
    }
}
