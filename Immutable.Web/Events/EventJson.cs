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

    /// <summary>The same JSON from an event as the chain writer committed it (what a read of its row gives back).</summary>
    public static EventJson From(Immutable.Domain.Events.AuditEvent e)
    {
        var c = e.Content;
        return new(
            c.Id.ToString("D"),
            new ActorJson(c.ActorId, c.ActorName, c.ActorType),
            c.ActorId,
            c.ActorName,
            c.ActorType,
            c.Action,
            c.ActionCategory,
            c.Resource is null && c.ResourceId is null && c.ResourceName is null ? null : new ResourceJson(c.Resource, c.ResourceId, c.ResourceName),
            c.ResourceId,
            c.ResourceName,
            c.Targets.Count == 0 ? EmptyArray : new RawJson(EventHashing.CanonicalTargets(c.Targets)),
            RawJson.From(c.MetadataJson),
            c.TenantId,
            c.SessionId,
            c.IpAddress,
            c.Geo.CountryCode,
            c.Geo.City,
            new GeoJson(c.Geo.CountryCode, c.Geo.City, c.Geo.Latitude, c.Geo.Longitude, c.Geo.AccuracyRadiusKm, c.Geo.TimeZone),
            c.UserAgent,
            c.IdempotencyKey,
            c.Version,
            new IntegrityJson(e.EventHash, e.PreviousEventHash, e.Sequence),
            Timestamps.ToIso(e.OccurredAt),
            Timestamps.ToIso(e.CreatedAt),
            c.SchemaViolation);
    }
}
