using System.Text.Json;
using Immutable.Domain.Events;

namespace Immutable.Web.Storage;

public static class EventMapping
{
    public static AuditEvent ToDomain(this EventRecord r) => new()
    {
        Content = new EventContent
        {
            Id = Guid.Parse(r.Id),
            ActorId = r.ActorId,
            ActorName = r.ActorName,
            ActorType = r.ActorType,
            Action = r.Action,
            ActionCategory = r.ActionCategory,
            Resource = r.Resource,
            ResourceId = r.ResourceId,
            ResourceName = r.ResourceName,
            Targets = ParseTargets(r.Targets),
            MetadataJson = r.Metadata,
            TenantId = r.TenantId,
            SessionId = r.SessionId,
            IpAddress = r.IpAddress,
            Geo = new GeoLocation(r.IpCountry, r.IpCity, r.IpLatitude, r.IpLongitude, r.IpAccuracyRadiusKm, r.IpTimeZone),
            UserAgent = r.UserAgent,
            IdempotencyKey = r.IdempotencyKey,
            Version = r.Version,
            OccurredAt = r.OccurredAt,
            SchemaViolation = r.SchemaViolation,
        },
        WorkspaceId = r.WorkspaceId,
        Sequence = r.Sequence,
        OccurredAt = r.OccurredAt,
        CreatedAt = r.CreatedAt,
        PreviousEventHash = r.PreviousEventHash,
        EventHash = r.EventHash,
    };

    /// <summary>
    /// The last archived event as a chain predecessor: only its sequence and hash matter to a verification
    /// (<see cref="Immutable.Domain.Chain.ChainRun"/> links the next event to them).
    /// </summary>
    public static AuditEvent ToPredecessor(this RetentionCutRecord cut) => new()
    {
        Content = new EventContent { Id = Guid.Empty, ActorId = "", Action = "" },
        WorkspaceId = cut.WorkspaceId,
        Sequence = cut.LastSequence,
        OccurredAt = cut.LastCreatedAt,
        CreatedAt = cut.LastCreatedAt,
        EventHash = cut.LastEventHash,
    };

    /// <summary>Stored targets are canonical JSON; sub-values keep their canonical text.</summary>
    public static IReadOnlyList<EventTarget> ParseTargets(string? json)
    {
        if (json is null) return [];
        using var doc = JsonDocument.Parse(json);
        var list = new List<EventTarget>();
        foreach (var t in doc.RootElement.EnumerateArray())
        {
            list.Add(new EventTarget(
                t.GetProperty("type").GetString()!,
                t.GetProperty("id").GetString(),
                t.GetProperty("name").GetString(),
                t.GetProperty("metadata") is { ValueKind: not JsonValueKind.Null } m ? m.GetRawText() : null));
        }
        return list;
    }
}
