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

    /// <summary>Actions under one prefix beyond which a page is read as one range query instead of one seek per action.</summary>
    public const int MaxExpandedActions = 32;

    /// <summary>One page of the events matching <paramref name="query"/>, with the total and the next cursor.</summary>
    public async Task<(List<EventRecord> Rows, Pagination Pagination)> ListAsync(string workspaceId, EventQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actions = query.ActionPrefix is { } prefix ? await ActionsUnderAsync(db, workspaceId, prefix, ct) : null;
        var rows = actions is { Count: 0 } ? [] : await PageQuery(db, workspaceId, query, actions).ToListAsync(ct);
        var total = await CountQuery(db, workspaceId, query).CountAsync(ct);
        var (page, pagination) = Paging.Trim(rows, query.Limit, Math.Min(total, Paging.ExactTotalUpTo), e => new CursorKey(e.Sequence, e.Id));
        return (page, pagination with { TotalExact = total <= Paging.ExactTotalUpTo });
    }

    /// <summary>
    /// The page's query: with the actions under an action prefix (<paramref name="actionsUnderPrefix"/>), the merge of one
    /// page per action, each a short walk of the (workspace, action, sequence) index from the cursor, where the range
    /// query would sort every match first (half a million rows for <c>document.*</c> in the bench).
    /// </summary>
    public static IQueryable<EventRecord> PageQuery(ImmutableDbContext db, string workspaceId, EventQuery query, IReadOnlyList<string>? actionsUnderPrefix)
    {
        if (actionsUnderPrefix is not { Count: > 0 } actions) return query.Page(query.Filter(db, workspaceId));
        var union = query.Page(query.Filter(db, workspaceId, actions[0]));
        foreach (var action in actions.Skip(1)) union = union.Concat(query.Page(query.Filter(db, workspaceId, action)));
        var merged = query.Ascending ? union.OrderBy(e => e.Sequence) : union.OrderByDescending(e => e.Sequence);
        return merged.Take(query.Limit + 1);
    }

    /// <summary>The total's query: matches counted up to <see cref="Paging.ExactTotalUpTo"/> + 1, never further.</summary>
    public static IQueryable<EventRecord> CountQuery(ImmutableDbContext db, string workspaceId, EventQuery query) =>
        query.Filter(db, workspaceId).Take(Paging.ExactTotalUpTo + 1);

    /// <summary>
    /// The distinct stored actions that start with <paramref name="prefix"/>, one index seek each on
    /// (workspace, action, sequence); null when there are more than <see cref="MaxExpandedActions"/>.
    /// </summary>
    public static async Task<List<string>?> ActionsUnderAsync(ImmutableDbContext db, string workspaceId, string prefix, CancellationToken ct)
    {
        var upper = EventQuery.PrefixUpperBound(prefix);
        var actions = new List<string>();
        var after = prefix;
        var inclusive = true;
        while (true)
        {
            var from = after;
#pragma warning disable CA1309 // ordinal comparison in SQL (SQLite's BINARY collation), like the range filter
            var range = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && string.Compare(e.Action, upper) < 0);
            range = inclusive ? range.Where(e => string.Compare(e.Action, from) >= 0) : range.Where(e => string.Compare(e.Action, from) > 0);
#pragma warning restore CA1309
            var next = await range.OrderBy(e => e.Action).Select(e => e.Action).FirstOrDefaultAsync(ct);
            if (next is null) return actions;
            if (actions.Count == MaxExpandedActions) return null;
            actions.Add(next);
            after = next;
            inclusive = false;
        }
    }
}
