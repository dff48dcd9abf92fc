namespace Immutable.Domain.Events;

/// <summary>Where an IP address was located when the event was ingested. All fields null when unknown.</summary>
public sealed record GeoLocation(
    string? CountryCode,
    string? City,
    double? Latitude,
    double? Longitude,
    int? AccuracyRadiusKm,
    string? TimeZone)
{
    public static GeoLocation Unknown { get; } = new(null, null, null, null, null, null);

    public bool HasCoordinates => Latitude is not null && Longitude is not null;
}

/// <summary>Something the action was performed on, besides the primary resource.</summary>
/// <param name="MetadataJson">Canonical JSON of the target's metadata object, or null.</param>
public sealed record EventTarget(string Type, string? Id, string? Name, string? MetadataJson);

/// <summary>
/// The content of an event as the client sent it, validated and normalised (UTC, microseconds, canonical JSON),
/// before the store gives it a place in the chain.
/// </summary>
public sealed record EventContent
{
    public required Guid Id { get; init; }
    public required string ActorId { get; init; }
    public string? ActorName { get; init; }
    public string? ActorType { get; init; }
    public required string Action { get; init; }
    public string? ActionCategory { get; init; }
    public string? Resource { get; init; }
    public string? ResourceId { get; init; }
    public string? ResourceName { get; init; }
    public IReadOnlyList<EventTarget> Targets { get; init; } = [];
    /// <summary>Canonical JSON of the metadata object, or null when none was sent.</summary>
    public string? MetadataJson { get; init; }
    public string? TenantId { get; init; }
    public string? SessionId { get; init; }
    public string? IpAddress { get; init; }
    public GeoLocation Geo { get; init; } = GeoLocation.Unknown;
    public string? UserAgent { get; init; }
    public string? IdempotencyKey { get; init; }
    public int? Version { get; init; }
    /// <summary>Client time of the action (UTC, microsecond precision); null means "when received".</summary>
    public DateTime? OccurredAt { get; init; }
    /// <summary>True when the action matched none of the workspace's permissive schema patterns (stored, flagged).</summary>
    public bool SchemaViolation { get; init; }
}

/// <summary>An event as stored: its content plus its place in the workspace's hash chain.</summary>
public sealed record AuditEvent
{
    public required EventContent Content { get; init; }
    public required string WorkspaceId { get; init; }
    public required long Sequence { get; init; }
    public required DateTime OccurredAt { get; init; }
    public required DateTime CreatedAt { get; init; }
    public string? PreviousEventHash { get; init; }
    public required string EventHash { get; init; }

    public Guid Id => Content.Id;
}
