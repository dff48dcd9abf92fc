using Immutable.Domain.Chain;
using Immutable.Domain.Events;

namespace Immutable.Web.Storage;

/// <summary>An event as the chain writers insert it: the events table's columns and their values, in one order.</summary>
internal static class EventRow
{
    public static readonly string[] Columns =
    [
        "id", "workspace_id", "sequence", "actor_id", "actor_name", "actor_type", "action", "action_category",
        "resource", "resource_id", "resource_name", "targets", "metadata", "tenant_id", "session_id",
        "ip_address", "ip_country", "ip_city", "ip_latitude", "ip_longitude", "ip_accuracy_radius_km",
        "ip_time_zone", "user_agent", "idempotency_key", "version", "occurred_at", "created_at",
        "previous_event_hash", "event_hash", "schema_violation",
    ];

    /// <summary>The values of <see cref="Columns"/> for <paramref name="e"/>; null where the column is NULL.</summary>
    public static object?[] Values(AuditEvent e)
    {
        var c = e.Content;
        return
        [
            c.Id.ToString("D"), e.WorkspaceId, e.Sequence, c.ActorId, c.ActorName, c.ActorType, c.Action,
            c.ActionCategory, c.Resource, c.ResourceId, c.ResourceName,
            c.Targets.Count == 0 ? null : EventHashing.CanonicalTargets(c.Targets), c.MetadataJson,
            c.TenantId, c.SessionId, c.IpAddress, c.Geo.CountryCode, c.Geo.City, c.Geo.Latitude,
            c.Geo.Longitude, c.Geo.AccuracyRadiusKm, c.Geo.TimeZone, c.UserAgent, c.IdempotencyKey,
            c.Version, e.OccurredAt.Ticks, e.CreatedAt.Ticks, e.PreviousEventHash, e.EventHash, c.SchemaViolation,
        ];
    }
}
