using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Events;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Search;

/// <summary>One thing global search found, with the dashboard page that shows it.</summary>
public sealed record SearchHit(string Kind, string Id, string? Name, string Href);

/// <summary>Search results grouped by kind, each group in id order, at most <see cref="SearchService.PerKind"/> each.</summary>
public sealed record SearchResults(
    IReadOnlyList<SearchHit> Actors, IReadOnlyList<SearchHit> IpAddresses, IReadOnlyList<SearchHit> Sessions, IReadOnlyList<SearchHit> Alerts)
{
    public IEnumerable<SearchHit> All => Actors.Concat(IpAddresses).Concat(Sessions).Concat(Alerts);
}

/// <summary>
/// The dashboard's global search (app bar, <c>/</c>) and GET /api/v1/search: actors by id or display name (prefix,
/// then contains), IP addresses and session ids by prefix, alerts by id prefix. Every lookup is an index seek or a
/// walk of the small <c>actors</c> table, never a scan of <c>events</c> (EXPLAIN QUERY PLAN tests in SearchTests):
/// distinct IPs and sessions are found one index seek per value (the next value after the last one found).
/// Invariant: every query is bound to the caller's workspace; the text reaches SQL only as parameters, and LIKE
/// wildcards in it are escaped.
/// </summary>
public sealed class SearchService(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    public const int PerKind = 5;
    public const int MaxLength = 200;

    public async Task<Result<SearchResults>> SearchAsync(WorkspacePrincipal caller, string? text, CancellationToken ct = default)
    {
        var q = text?.Trim() ?? "";
        if (q.Length == 0) return Problem.Invalid("q", "is required");
        if (q.Length > MaxLength) return Problem.Invalid("q", $"must be at most {MaxLength} characters");
        if (q.Any(char.IsControl)) return Problem.Invalid("q", "must not contain control characters");
        var ws = caller.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);

        var actors = await ActorsByIdPrefix(db, ws, q).ToListAsync(ct);
        if (actors.Count < PerKind)
        {
            var found = actors.Select(a => a.ActorId).ToList();
            actors.AddRange(await ActorsContaining(db, ws, q).Where(a => !found.Contains(a.ActorId)).Take(PerKind - actors.Count).ToListAsync(ct));
        }
        var ips = q.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':')
            ? await DistinctPrefixAsync(db, ws, nameof(EventRecord.IpAddress), q, ct) : [];
        var sessions = await DistinctPrefixAsync(db, ws, nameof(EventRecord.SessionId), q, ct);
        var alerts = await AlertsByIdPrefix(db, ws, q).ToListAsync(ct);
        if (alerts.Count == 0 && !q.StartsWith("alt_", StringComparison.Ordinal) && q.All(c => char.IsAsciiHexDigit(c) || c == '-'))
            alerts = await AlertsByIdPrefix(db, ws, "alt_" + q).ToListAsync(ct); // the id without its prefix, as copied from a UUID

        return new SearchResults(
            actors.Select(a => new SearchHit("actor", a.ActorId, a.ActorName, "/actors/" + Uri.EscapeDataString(a.ActorId))).ToList(),
            ips.Select(ip => new SearchHit("ip_address", ip, null, "/events?ip_address=" + Uri.EscapeDataString(ip))).ToList(),
            sessions.Select(s => new SearchHit("session", s, null, "/events?session_id=" + Uri.EscapeDataString(s))).ToList(),
            alerts.Select(a => new SearchHit("alert", a.Id, a.Reason, "/alerts/" + Uri.EscapeDataString(a.Id))).ToList());
    }

#pragma warning disable CA1309 // string.Compare translates to SQL >= / <: ordinal on both stores (BINARY / "C" collation)
    /// <summary>Actor ids starting with the text: a range of the actors table's key.</summary>
    public static IQueryable<ActorRecord> ActorsByIdPrefix(ImmutableDbContext db, string workspaceId, string prefix)
    {
        var upper = EventQuery.PrefixUpperBound(prefix);
        return db.Actors.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && string.Compare(a.ActorId, prefix) >= 0 && string.Compare(a.ActorId, upper) < 0)
            .OrderBy(a => a.ActorId).Take(PerKind);
    }

    /// <summary>
    /// Actors whose id or name contains the text (ASCII case-insensitive): the workspace's rows of the actors table,
    /// one per actor, never the events.
    /// </summary>
    public static IQueryable<ActorRecord> ActorsContaining(ImmutableDbContext db, string workspaceId, string text)
    {
        var pattern = LikePatterns.Contains(text);
        var actors = db.Actors.AsNoTracking().Where(a => a.WorkspaceId == workspaceId);
        actors = db.IsPostgres()
            ? actors.Where(a => EF.Functions.ILike(a.ActorId, pattern, LikePatterns.Escape) || EF.Functions.ILike(a.ActorName!, pattern, LikePatterns.Escape))
            : actors.Where(a => EF.Functions.Like(a.ActorId, pattern, LikePatterns.Escape) || EF.Functions.Like(a.ActorName!, pattern, LikePatterns.Escape));
        return actors.OrderBy(a => a.ActorId);
    }

    /// <summary>Alerts whose id starts with the text: a range of the unique id index.</summary>
    public static IQueryable<AlertRecord> AlertsByIdPrefix(ImmutableDbContext db, string workspaceId, string prefix)
    {
        var upper = EventQuery.PrefixUpperBound(prefix);
        return db.Alerts.AsNoTracking()
            // workspace_id || '' keeps the planner off the (workspace, …) indexes, which would read every alert of the
            // workspace and sort them: the id index's range is the walk, in id order (the plan test pins it).
            .Where(a => string.Compare(a.Id, prefix) >= 0 && string.Compare(a.Id, upper) < 0 && a.WorkspaceId + "" == workspaceId)
            .OrderBy(a => a.Id).Take(PerKind);
    }

    /// <summary>
    /// The next stored value of an events column (IpAddress, SessionId) at or after <paramref name="from"/> and under the
    /// prefix's upper bound: one seek of the column's (workspace, column, …) index.
    /// </summary>
    public static IQueryable<string> NextValue(ImmutableDbContext db, string workspaceId, string column, string from, bool inclusive, string upper)
    {
        var range = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && string.Compare(EF.Property<string>(e, column), upper) < 0);
        range = inclusive
            ? range.Where(e => string.Compare(EF.Property<string>(e, column), from) >= 0)
            : range.Where(e => string.Compare(EF.Property<string>(e, column), from) > 0);
        return range.OrderBy(e => EF.Property<string>(e, column)).Select(e => EF.Property<string>(e, column)).Take(1);
    }
#pragma warning restore CA1309

    /// <summary>Up to <see cref="PerKind"/> distinct values of a column starting with the prefix, one seek each.</summary>
    private static async Task<List<string>> DistinctPrefixAsync(ImmutableDbContext db, string workspaceId, string column, string prefix, CancellationToken ct)
    {
        var upper = EventQuery.PrefixUpperBound(prefix);
        var values = new List<string>();
        var (after, inclusive) = (prefix, true);
        while (values.Count < PerKind)
        {
            var next = await NextValue(db, workspaceId, column, after, inclusive, upper).FirstOrDefaultAsync(ct);
            if (next is null) break;
            values.Add(next);
            (after, inclusive) = (next, false);
        }
        return values;
    }
}
