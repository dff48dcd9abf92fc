using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>Long-lived memory some rules need across restarts (loaded by the host, persisted by it).</summary>
public sealed record RuleMemory(
    IReadOnlyDictionary<string, IReadOnlyList<(string ActorId, string Country)>> CountriesByRule,
    IReadOnlyDictionary<string, IReadOnlyList<(string ActorId, TravelFix Fix)>> FixesByRule)
{
    public static RuleMemory Empty { get; } = new(
        new Dictionary<string, IReadOnlyList<(string, string)>>(),
        new Dictionary<string, IReadOnlyList<(string, TravelFix)>>());
}

/// <summary>The enabled per-event rules of a workspace, observing its stream in order.</summary>
public sealed class RuleSet
{
    private readonly List<IEventRuleEvaluator> _evaluators;

    /// <param name="maxCachedActors">
    /// Null: <paramref name="memory"/> is the rules' whole memory. A number: memory is a bounded cache the host primes
    /// from its store before each chunk (<see cref="IActorMemoryRule"/>), and <paramref name="memory"/> is only a start.
    /// </param>
    public RuleSet(IEnumerable<AlertRule> rules, RuleMemory memory, int? maxCachedActors = null)
    {
        _evaluators = rules.Where(r => r.Enabled).Select(r => Create(r, memory, maxCachedActors)).OfType<IEventRuleEvaluator>().ToList();
    }

    public IReadOnlyList<IEventRuleEvaluator> Evaluators => _evaluators;

    /// <summary>The rule types <see cref="Create"/> makes no per-event evaluator for (a store query asks for the others).</summary>
    public static readonly IReadOnlyList<RuleType> EvaluatedElsewhere = [RuleType.IngestionSpike, RuleType.Correlation];

    /// <summary>Per-event evaluator for a rule; null for rules evaluated elsewhere (spike: scheduled; correlation: on alerts).</summary>
    public static IEventRuleEvaluator? Create(AlertRule rule, RuleMemory memory, int? maxCachedActors = null) => rule.Type switch
    {
        RuleType.NewCountry => new NewCountryEvaluator(rule, memory.CountriesByRule.GetValueOrDefault(rule.Id) ?? [], maxCachedActors),
        RuleType.OffHours => new OffHoursEvaluator(rule),
        RuleType.RepeatedAction => new RepeatedActionEvaluator(rule),
        RuleType.HighVolumeDestructive => new HighVolumeDestructiveEvaluator(rule),
        RuleType.ImpossibleTravel => new ImpossibleTravelEvaluator(rule, memory.FixesByRule.GetValueOrDefault(rule.Id) ?? [], maxCachedActors),
        RuleType.IngestionSpike or RuleType.Correlation => null,
    };

    /// <summary>Every hit of every rule on this event, in rule order.</summary>
    public List<RuleHit> Observe(AuditEvent e)
    {
        var hits = new List<RuleHit>();
        foreach (var evaluator in _evaluators)
            if (evaluator.Observe(e) is { } hit) hits.Add(hit);
        return hits;
    }
}

/// <summary>Noise control: one open alert per (rule, group key) within the cooldown.</summary>
public static class NoiseControl
{
    public static bool MergesInto(DateTime openAlertFirstEventTime, DateTime hitEventTime, int cooldownMinutes) =>
        (hitEventTime - openAlertFirstEventTime).Duration() < TimeSpan.FromMinutes(cooldownMinutes);
}
