using Immutable.Domain.Chain;
using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>The last geolocated matching event of an actor: what the next one is compared with.</summary>
public sealed record TravelFix(Guid EventId, DateTime At, double Latitude, double Longitude, string? Country, string? City);

/// <summary>
/// Two consecutive geolocated matching events of one actor imply a speed above the limit (great-circle distance
/// over the time between their occurred_at). Distances under min_distance_km are ignored (geo-IP is coarse).
/// Memory (last fix per actor) is long-lived: the host persists <see cref="DrainChanged"/>. With a capacity it is a
/// bounded cache the host primes from its store (<see cref="ActorMemory{T}"/>); without one, <c>known</c> is all of it.
/// </summary>
public sealed class ImpossibleTravelEvaluator(AlertRule rule, IEnumerable<(string ActorId, TravelFix Fix)> known, int? maxCachedActors = null)
    : IEventRuleEvaluator, IActorMemoryRule
{
    private const double EarthRadiusKm = 6371.0088;
    private readonly ImpossibleTravelConditions _c = (ImpossibleTravelConditions)rule.Conditions;
    private readonly ActorMemory<TravelFix> _last = new(maxCachedActors, known);

    public AlertRule Rule => rule;

    public int CachedActors => _last.Count;

    public string? MemoryActor(AuditEvent e) =>
        e.Content.Geo.HasCoordinates && ActionPattern.MatchesAny(_c.ActionPatterns, e.Content.Action) ? e.Content.ActorId : null;

    public bool IsCached(string actor) => _last.IsCached(actor);

    /// <summary>Loads the last fix the store knows for an actor (null: none yet).</summary>
    public void Prime(string actor, TravelFix? fix) => _last.Prime(actor, fix);

    public void Trim() => _last.Trim();

    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        static double Rad(double d) => d * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    public RuleHit? Observe(AuditEvent e)
    {
        var geo = e.Content.Geo;
        if (!geo.HasCoordinates || !ActionPattern.MatchesAny(_c.ActionPatterns, e.Content.Action)) return null;
        var actor = e.Content.ActorId;
        var fix = new TravelFix(e.Id, e.OccurredAt, geo.Latitude!.Value, geo.Longitude!.Value, geo.CountryCode, geo.City);
        var previous = _last.Get(actor);
        // Keep the latest fix by event time, so a late event does not rewind the actor's position.
        if (previous is null || fix.At >= previous.At) _last.Set(actor, fix);
        if (previous is null) return null;

        var distance = DistanceKm(previous.Latitude, previous.Longitude, fix.Latitude, fix.Longitude);
        if (distance < _c.MinDistanceKm) return null;
        var hours = Math.Abs((fix.At - previous.At).TotalHours);
        var speed = hours == 0 ? double.PositiveInfinity : distance / hours;
        if (speed <= _c.MaxSpeedKmh) return null;

        var (from, to) = previous.At <= fix.At ? (previous, fix) : (fix, previous);
        var reportedSpeed = double.IsPositiveInfinity(speed) ? double.MaxValue : Math.Round(speed, 1);
        return new RuleHit(rule, actor, actor, e, e.OccurredAt,
            $"Actor {actor} {Wording.Did(e)} from {Wording.Place(to.City, to.Country)} {Wording.N(hours, 1)} h after {Wording.Place(from.City, from.Country)}: {Wording.N(distance)} km at {(double.IsPositiveInfinity(speed) ? "an infinite" : Wording.N(speed))} km/h (limit {Wording.N(_c.MaxSpeedKmh)} km/h)",
            new ImpossibleTravelContext(ToPlace(from), ToPlace(to), Math.Round(distance, 1), Math.Round(hours, 3), reportedSpeed),
            [previous.EventId, e.Id]);
    }

    private static Place ToPlace(TravelFix f) => new(f.Country, f.City, f.Latitude, f.Longitude, Timestamps.ToIso(f.At), f.EventId);

    /// <summary>Actors whose last fix changed since the last call, with the fix to persist.</summary>
    public IReadOnlyList<(string ActorId, TravelFix Fix)> DrainChanged() => _last.DrainChanged();
}
