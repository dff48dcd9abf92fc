using Immutable.Web.Api;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Events;

/// <summary>
/// Reads a workspace's stored events, for the API (<see cref="EventsApi"/>) and the dashboard's explorer alike.
/// Invariant: every read is scoped to the workspace it is given.
/// </summary>
public sealed class EventReader(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    /// <summary>One event by id; ids are matched in their canonical lowercase form, anything else cannot exist.</summary>
    public async Task<EventRecord?> FindAsync(string workspaceId, string id, CancellationToken ct = default)
    {
        if (!Guid.TryParse(id, out var guid)) return null;
        var key = guid.ToString("D");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == key && e.WorkspaceId == workspaceId, ct);
    }

    /// <summary>One page of the events matching <paramref name="query"/>, with the total and the next cursor.</summary>
    public async Task<(List<EventRecord> Rows, Pagination Pagination)> ListAsync(string workspaceId, EventQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = query.Filter(db, workspaceId);
        var rows = await query.Page(filtered).ToListAsync(ct);
        var total = await filtered.CountAsync(ct);
        return Paging.Trim(rows, query.Limit, total, e => new CursorKey(e.Sequence, e.Id));
    }
}
