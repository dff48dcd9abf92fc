using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Storage;

namespace Immutable.Web.Events;

public sealed record ActorJson(string Id, string? Name, string? Type);

public sealed record ResourceJson(string? Type, string? Id, string? Name);

public sealed record GeoJson(string? Country, string? City, double? Latitude, double? Longitude, int? AccuracyRadiusKm, string? TimeZone);

public sealed record IntegrityJson(string EventHash, string? PreviousEventHash, long Sequence);

/// <summary>
/// The event as the API returns it: a superset with nested objects (official SDK types) and flat fields
/// (integrations that read actor_name, ip_country...).
/// </summary>
public sealed record EventJson(
    string Id,
    ActorJson Actor,
    string ActorId,
    string? ActorName,
    string? ActorType,
    string Action,
    string? ActionCategory,
    ResourceJson? Resource,
    string? ResourceId,
    string? ResourceName,
    RawJson Targets,
    RawJson? Metadata,
    string? TenantId,
    string? SessionId,
    string? IpAddress,
    string? IpCountry,
    string? IpCity,
    GeoJson Geo,
    string? UserAgent,
    string? IdempotencyKey,
    int? Version,
    IntegrityJson Integrity,
    string OccurredAt,
    string CreatedAt,
    bool SchemaViolation)
{
    private static readonly RawJson EmptyArray = new("[]");

    public static EventJson From(EventRecord r) => new(
        r.Id,
        new ActorJson(r.ActorId, r.ActorName, r.ActorType),
        r.ActorId,
        r.ActorName,
        r.ActorType,
        r.Action,
        r.ActionCategory,
        r.Resource is null && r.ResourceId is null && r.ResourceName is null ? null : new ResourceJson(r.Resource, r.ResourceId, r.ResourceName),
        r.ResourceId,
        r.ResourceName,
        r.Targets is null ? EmptyArray : new RawJson(r.Targets),
        RawJson.From(r.Metadata),
        r.TenantId,
        r.SessionId,
        r.IpAddress,
        r.IpCountry,
        r.IpCity,
        new GeoJson(r.IpCountry, r.IpCity, r.IpLatitude, r.IpLongitude, r.IpAccuracyRadiusKm, r.IpTimeZone),
        r.UserAgent,
        r.IdempotencyKey,
        r.Version,
        new IntegrityJson(r.EventHash, r.PreviousEventHash, r.Sequence),
        Timestamps.ToIso(r.OccurredAt),
        Timestamps.ToIso(r.CreatedAt),
        r.SchemaViolation);
}
