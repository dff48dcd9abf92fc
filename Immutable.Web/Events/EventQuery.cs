using Immutable.Web.Api;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Events;

/// <summary>The event filters of the API (and of the dashboard's explorer), already validated.</summary>
public sealed record EventQuery
{
    public string? ActorId { get; init; }
    /// <summary>Exact action, or a prefix ending in '*' (invoice.*).</summary>
    public string? Action { get; init; }
    public string? Resource { get; init; }
    public string? ResourceId { get; init; }
    public string? TenantId { get; init; }
    public string? SessionId { get; init; }
    /// <summary>Exact client IP (served by the (workspace, ip_address) index).</summary>
    public string? IpAddress { get; init; }
    public string? TargetType { get; init; }
    public string? TargetId { get; init; }
    public string? Search { get; init; }
    /// <summary>ISO 3166 alpha-2 code of the event's IP (GeoIP), upper case.</summary>
    public string? Country { get; init; }
    /// <summary>Only flagged (true) or only unflagged (false) events; null for both.</summary>
    public bool? SchemaViolation { get; init; }
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    /// <summary>Whether <see cref="From"/>/<see cref="To"/> bound the ingestion time (created_at, the API's default) or the event time (occurred_at).</summary>
    public bool ByOccurredAt { get; init; }
    public bool Ascending { get; init; }
    public CursorKey? Cursor { get; init; }
    public int Limit { get; init; } = Paging.DefaultLimit;

    public static EventQuery? FromRequest(IQueryCollection q, List<Violation> violations)
    {
        var (from, to) = RequestValues.TimeRange(q, violations);
        var (cursor, limit) = Paging.Read(q, violations);
        var order = q["order"].ToString();
        if (order.Length > 0 && order is not ("asc" or "desc"))
            violations.Add(new Violation("order", "must be asc or desc"));
        var time = q["time"].ToString();
        if (time.Length > 0 && time is not ("occurred" or "ingested"))
            violations.Add(new Violation("time", "must be occurred or ingested"));
        var flag = q["schema_violation"].ToString();
        if (flag.Length > 0 && flag is not ("true" or "false"))
            violations.Add(new Violation("schema_violation", "must be true or false"));
        var country = q["country"].ToString();
        if (country.Length > 0 && (country.Length != 2 || !country.All(char.IsAsciiLetter)))
            violations.Add(new Violation("country", "must be a two-letter ISO 3166 country code (RO, US)"));
        if (violations.Count > 0) return null;

        return new EventQuery
        {
            ActorId = NullIfEmpty(q["actor_id"]),
            Action = NullIfEmpty(q["action"]),
            Resource = NullIfEmpty(q["resource"]),
            ResourceId = NullIfEmpty(q["resource_id"]),
            TenantId = NullIfEmpty(q["tenant_id"]),
            SessionId = NullIfEmpty(q["session_id"]),
            IpAddress = NullIfEmpty(q["ip_address"]),
            TargetType = NullIfEmpty(q["target_type"]),
            TargetId = NullIfEmpty(q["target_id"]),
            Search = NullIfEmpty(q["search"]),
            Country = country.Length == 0 ? null : country.ToUpperInvariant(),
            SchemaViolation = flag.Length == 0 ? null : flag == "true",
            From = from,
            To = to,
            ByOccurredAt = time == "occurred",
            Ascending = order == "asc",
            Cursor = cursor,
            Limit = limit,
        };
    }

    /// <summary>Applies every filter except the cursor (so the same query also gives the total).</summary>
    public IQueryable<EventRecord> Filter(ImmutableDbContext db, string workspaceId) => Filter(db, workspaceId, exactAction: null);

    /// <summary>The action prefix of a pattern (<c>document.*</c> → <c>document.</c>); null for an exact action or none.</summary>
    public string? ActionPrefix => Action is { Length: > 1 } a && a.EndsWith('*') ? a[..^1] : null;

    /// <summary>
    /// Every filter except the cursor; with <paramref name="exactAction"/>, that one action instead of the pattern
    /// (one of the actions under the prefix: see <see cref="EventReader"/>).
    /// </summary>
    public IQueryable<EventRecord> Filter(ImmutableDbContext db, string workspaceId, string? exactAction)
    {
        var q = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId);
        if (ActorId is not null) q = q.Where(e => e.ActorId == ActorId);
        if (exactAction is not null)
        {
            q = q.Where(e => e.Action == exactAction);
        }
        else if (Action is not null)
        {
            if (ActionPrefix is { } prefix)
            {
                // A prefix as a range, so the (workspace, action, sequence) index serves it.
                var upper = PrefixUpperBound(prefix);
                // EF translates this overload to SQL >= / <: ordinal on both stores (SQLite's BINARY collation,
                // PostgreSQL's "C" collation on every text column).
#pragma warning disable CA1309
                q = q.Where(e => string.Compare(e.Action, prefix) >= 0 && string.Compare(e.Action, upper) < 0);
#pragma warning restore CA1309
            }
            else if (Action != "*")
            {
                q = q.Where(e => e.Action == Action);
            }
        }
        if (Resource is not null) q = q.Where(e => e.Resource == Resource);
        if (ResourceId is not null) q = q.Where(e => e.ResourceId == ResourceId);
        if (TenantId is not null) q = q.Where(e => e.TenantId == TenantId);
        if (SessionId is not null) q = q.Where(e => e.SessionId == SessionId);
        if (IpAddress is not null) q = q.Where(e => e.IpAddress == IpAddress);
        if (TargetType is not null || TargetId is not null)
        {
            var targets = db.EventTargets.Where(t => t.WorkspaceId == workspaceId);
            if (TargetType is not null) targets = targets.Where(t => t.Type == TargetType);
            if (TargetId is not null) targets = targets.Where(t => t.TargetId == TargetId);
            q = q.Where(e => targets.Any(t => t.EventRowId == e.RowId));
        }
        if (Search is not null)
        {
            // Case-insensitive for ASCII on both stores: SQLite's LIKE folds ASCII only; on PostgreSQL ILIKE over the
            // "C" collation of every text column (PostgresImmutableDbContext) folds ASCII only too. The user's wildcards are escaped.
            var pattern = LikePatterns.Contains(Search);
            q = db.IsPostgres()
                ? q.Where(e => EF.Functions.ILike(e.ActorName!, pattern, "\\")
                    || EF.Functions.ILike(e.Action, pattern, "\\")
                    || EF.Functions.ILike(e.ResourceName!, pattern, "\\")
                    || EF.Functions.ILike(e.Metadata!, pattern, "\\"))
                : q.Where(e => EF.Functions.Like(e.ActorName!, pattern, "\\")
                    || EF.Functions.Like(e.Action, pattern, "\\")
                    || EF.Functions.Like(e.ResourceName!, pattern, "\\")
                    || EF.Functions.Like(e.Metadata!, pattern, "\\"));
        }
        if (Country is not null) q = q.Where(e => e.IpCountry == Country);
        if (SchemaViolation is { } flagged) q = q.Where(e => e.SchemaViolation == flagged);
        if (ByOccurredAt)
        {
            if (From is { } from) q = q.Where(e => e.OccurredAt >= from);
            if (To is { } to) q = q.Where(e => e.OccurredAt <= to);
        }
        else
        {
            if (From is { } from) q = q.Where(e => e.CreatedAt >= from);
            if (To is { } to) q = q.Where(e => e.CreatedAt <= to);
        }
        return q;
    }

    /// <summary>One page in sequence order after the cursor. Stable under inserts: new events only ever get larger sequences.</summary>
    public IQueryable<EventRecord> Page(IQueryable<EventRecord> filtered)
    {
        if (Cursor is { } c)
            filtered = Ascending ? filtered.Where(e => e.Sequence > c.S) : filtered.Where(e => e.Sequence < c.S);
        filtered = Ascending ? filtered.OrderBy(e => e.Sequence) : filtered.OrderByDescending(e => e.Sequence);
        return filtered.Take(Limit + 1);
    }

    /// <summary>The first string after every string that starts with <paramref name="prefix"/> (ordinal).</summary>
    public static string PrefixUpperBound(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
}
