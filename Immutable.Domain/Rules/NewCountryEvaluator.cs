using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>
/// Fires when a matching event comes from a country the actor was never seen in. The actor's first country
/// is the baseline, not an alert; events without a country neither fire nor teach.
/// Memory (countries per actor) is long-lived: the host persists <see cref="DrainLearned"/>. With a capacity it is a
/// bounded cache the host primes from its store (<see cref="ActorMemory{T}"/>); without one, <c>known</c> is all of it.
/// </summary>
public sealed class NewCountryEvaluator(AlertRule rule, IEnumerable<(string ActorId, string Country)> known, int? maxCachedActors = null)
    : IEventRuleEvaluator, IActorMemoryRule
{
    private readonly NewCountryConditions _conditions = (NewCountryConditions)rule.Conditions;
    private readonly ActorMemory<List<string>> _countries = new(maxCachedActors, known
        .GroupBy(k => k.ActorId, StringComparer.Ordinal)
        .Select(g => (g.Key, g.Select(k => k.Country).Distinct(StringComparer.Ordinal).ToList())));
    private readonly List<(string ActorId, string Country)> _learned = [];

    public AlertRule Rule => rule;

    public int CachedActors => _countries.Count;

    public string? MemoryActor(AuditEvent e) =>
        e.Content.Geo.CountryCode is not null && ActionPattern.MatchesAny(_conditions.ActionPatterns, e.Content.Action) ? e.Content.ActorId : null;

    public bool IsCached(string actor) => _countries.IsCached(actor);

    /// <summary>Loads the countries the store knows for an actor (empty: none yet).</summary>
    public void Prime(string actor, IReadOnlyCollection<string> countries) =>
        _countries.Prime(actor, countries.Count == 0 ? null : countries.Distinct(StringComparer.Ordinal).ToList());

    public void Trim() => _countries.Trim();

    public RuleHit? Observe(AuditEvent e)
    {
        var country = e.Content.Geo.CountryCode;
        if (country is null || !ActionPattern.MatchesAny(_conditions.ActionPatterns, e.Content.Action)) return null;
        var actor = e.Content.ActorId;
        var seen = _countries.Get(actor);
        if (seen is null)
        {
            _countries.Set(actor, [country]);
            _learned.Add((actor, country));
            return null;
        }
        if (seen.Contains(country, StringComparer.Ordinal)) return null;

        var previous = seen.ToList();
        _countries.Set(actor, [.. seen, country]);
        _learned.Add((actor, country));
        return new RuleHit(rule, $"{actor}|{country}", actor, e, e.OccurredAt,
            $"Actor {actor} {Wording.Did(e)} from {country} for the first time (previously seen in: {string.Join(", ", previous)})",
            new NewCountryContext(previous, country), [e.Id]);
    }

    /// <summary>(actor, country) pairs learned since the last call, for the host to persist.</summary>
    public IReadOnlyList<(string ActorId, string Country)> DrainLearned()
    {
        var list = _learned.ToList();
        _learned.Clear();
        _countries.DrainChanged();
        return list;
    }
}
