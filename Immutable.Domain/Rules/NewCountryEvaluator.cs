using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>
/// Fires when a matching event comes from a country the actor was never seen in. The actor's first country
/// is the baseline, not an alert; events without a country neither fire nor teach.
/// Memory (countries per actor) is long-lived: the host persists <see cref="DrainLearned"/> and passes it back in.
/// </summary>
public sealed class NewCountryEvaluator(AlertRule rule, IEnumerable<(string ActorId, string Country)> known) : IEventRuleEvaluator
{
    private readonly NewCountryConditions _conditions = (NewCountryConditions)rule.Conditions;
    private readonly Dictionary<string, List<string>> _countries = known
        .GroupBy(k => k.ActorId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(k => k.Country).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
    private readonly List<(string ActorId, string Country)> _learned = [];

    public AlertRule Rule => rule;

    public RuleHit? Observe(AuditEvent e)
    {
        var country = e.Content.Geo.CountryCode;
        if (country is null || !ActionPattern.MatchesAny(_conditions.ActionPatterns, e.Content.Action)) return null;
        var actor = e.Content.ActorId;
        if (!_countries.TryGetValue(actor, out var seen))
        {
            _countries[actor] = [country];
            _learned.Add((actor, country));
            return null;
        }
        if (seen.Contains(country, StringComparer.Ordinal)) return null;

        var previous = seen.ToList();
        seen.Add(country);
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
        return list;
    }
}
