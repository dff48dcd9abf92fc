using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Immutable.Domain.Events;

namespace Immutable.Domain.Chain;

/// <summary>
/// Canonical encoding v1 of a stored event and its SHA-256 link (docs/hash-chain.md).
/// Invariant: every stored field, including id, workspace, sequence, created_at, the geo fields and the
/// previous event's hash, is in the encoded bytes; changing, removing, inserting or reordering any stored
/// event changes some hash that <see cref="ChainVerifier"/> recomputes.
/// </summary>
public static class EventHashing
{
    public const int EncodingVersion = 1;

    /// <summary>The canonical UTF-16 text; hash its UTF-8 bytes. Keys are written in sorted order.</summary>
    public static string CanonicalText(AuditEvent e)
    {
        var c = e.Content;
        var sb = new StringBuilder(512);
        sb.Append('{');
        Field(sb, "action", c.Action, first: true);
        Field(sb, "action_category", c.ActionCategory);
        Field(sb, "actor_id", c.ActorId);
        Field(sb, "actor_name", c.ActorName);
        Field(sb, "actor_type", c.ActorType);
        Field(sb, "created_at", Timestamps.ToIso(e.CreatedAt));
        sb.Append(",\"geo\":{");
        Number(sb, "accuracy_radius_km", c.Geo.AccuracyRadiusKm, first: true);
        Field(sb, "city", c.Geo.City);
        Field(sb, "country", c.Geo.CountryCode);
        Number(sb, "latitude", c.Geo.Latitude);
        Number(sb, "longitude", c.Geo.Longitude);
        Field(sb, "time_zone", c.Geo.TimeZone);
        sb.Append('}');
        Field(sb, "id", c.Id.ToString("D"));
        Field(sb, "idempotency_key", c.IdempotencyKey);
        Field(sb, "ip_address", c.IpAddress);
        Raw(sb, "metadata", c.MetadataJson);
        Field(sb, "occurred_at", Timestamps.ToIso(e.OccurredAt));
        Field(sb, "previous_event_hash", e.PreviousEventHash);
        Field(sb, "resource", c.Resource);
        Field(sb, "resource_id", c.ResourceId);
        Field(sb, "resource_name", c.ResourceName);
        // Present only when true: events without the flag (all events stored before it existed) keep their v1 bytes,
        // and a flagged event cannot be unflagged (or an unflagged one flagged) without changing its hash.
        if (c.SchemaViolation) sb.Append(",\"schema_violation\":true");
        Number(sb, "sequence", e.Sequence);
        Field(sb, "session_id", c.SessionId);
        sb.Append(",\"targets\":");
        WriteTargets(sb, c.Targets);
        Field(sb, "tenant_id", c.TenantId);
        Field(sb, "user_agent", c.UserAgent);
        Number(sb, "v", EncodingVersion);
        Number(sb, "version", c.Version);
        Field(sb, "workspace_id", e.WorkspaceId);
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>Canonical JSON array of targets (also how they are stored).</summary>
    public static string CanonicalTargets(IReadOnlyList<EventTarget> targets)
    {
        var sb = new StringBuilder(64 * targets.Count + 2);
        WriteTargets(sb, targets);
        return sb.ToString();
    }

    private static void WriteTargets(StringBuilder sb, IReadOnlyList<EventTarget> targets)
    {
        sb.Append('[');
        for (var i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            if (i > 0) sb.Append(',');
            sb.Append('{');
            Field(sb, "id", t.Id, first: true);
            Raw(sb, "metadata", t.MetadataJson);
            Field(sb, "name", t.Name);
            Field(sb, "type", t.Type);
            sb.Append('}');
        }
        sb.Append(']');
    }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 canonical text.</summary>
    public static string ComputeHash(AuditEvent e)
    {
        var text = CanonicalText(e);
        var bytes = Encoding.UTF8.GetBytes(text);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static void Key(StringBuilder sb, string name, bool first)
    {
        if (!first) sb.Append(',');
        CanonicalJson.WriteString(sb, name);
        sb.Append(':');
    }

    private static void Field(StringBuilder sb, string name, string? value, bool first = false)
    {
        Key(sb, name, first);
        if (value is null) sb.Append("null");
        else CanonicalJson.WriteString(sb, value);
    }

    private static void Raw(StringBuilder sb, string name, string? canonicalJson)
    {
        Key(sb, name, first: false);
        sb.Append(canonicalJson ?? "null");
    }

    private static void Number(StringBuilder sb, string name, double? value, bool first = false)
    {
        Key(sb, name, first);
        sb.Append(value is null ? "null" : CanonicalJson.FormatNumber(value.Value));
    }

    private static void Number(StringBuilder sb, string name, long? value, bool first = false)
    {
        Key(sb, name, first);
        sb.Append(value is null ? "null" : value.Value.ToString(CultureInfo.InvariantCulture));
    }
}
