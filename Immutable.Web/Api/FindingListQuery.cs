using Immutable.Domain.Alerts;

namespace Immutable.Web.Api;

/// <summary>
/// The query values the alerts and observations lists share: <c>status</c>, <c>severity</c> (comma-separated),
/// <c>from</c>/<c>to</c>, <c>cursor</c> and <c>limit</c>. Each list adds its own filters and decides which time
/// <c>from</c>/<c>to</c> bound.
/// </summary>
public sealed record FindingListQuery(AlertStatus? Status, List<Severity>? Severities, DateTime? From, DateTime? To, CursorKey? Cursor, int Limit)
{
    public static FindingListQuery Read(IQueryCollection query, List<Violation> violations)
    {
        var status = RequestValues.Status(query, violations);
        var severities = RequestValues.Severities(query, violations);
        var (from, to) = RequestValues.TimeRange(query, violations);
        var (cursor, limit) = Paging.Read(query, violations);
        return new FindingListQuery(status, severities, from, to, cursor, limit);
    }
}
