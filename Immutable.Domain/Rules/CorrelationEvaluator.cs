using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>An alert already raised, as correlation sees it.</summary>
public sealed record RaisedAlert(string AlertId, string RuleId, RuleType RuleType, string ActorId, DateTime EventTime);

/// <summary>
/// correlation: every listed rule has fired for the same actor within the window → one escalated alert
/// linking the contributing alerts ("new country + off hours = lock the account").
/// </summary>
public static class CorrelationEvaluator
{
    /// <param name="trigger">The alert just raised; correlation is checked when one of its rules fires.</param>
    /// <param name="recentForActor">Alerts of the same actor (any rule), including <paramref name="trigger"/>.</param>
    public static RuleHit? Evaluate(AlertRule rule, RaisedAlert trigger, AuditEvent? triggerEvent, IReadOnlyList<RaisedAlert> recentForActor)
    {
        var c = (CorrelationConditions)rule.Conditions;
        if (!c.RuleIds.Contains(trigger.RuleId, StringComparer.Ordinal)) return null;
        var window = TimeSpan.FromMinutes(c.WindowMinutes);
        var linked = new List<RaisedAlert>();
        foreach (var ruleId in c.RuleIds)
        {
            var match = recentForActor
                .Where(a => a.RuleId == ruleId && a.ActorId == trigger.ActorId && (trigger.EventTime - a.EventTime).Duration() <= window)
                .OrderByDescending(a => a.EventTime)
                .FirstOrDefault();
            if (match is null) return null;
            linked.Add(match);
        }
        var kinds = string.Join(" + ", linked.Select(a => WireName.Of(a.RuleType)));
        return new RuleHit(rule, trigger.ActorId, trigger.ActorId, triggerEvent, trigger.EventTime,
            $"Actor {trigger.ActorId} triggered {kinds} within {c.WindowMinutes} minutes",
            new CorrelationContext(linked.Select(a => new CorrelatedAlert(a.AlertId, a.RuleId, a.RuleType)).ToList(), c.WindowMinutes),
            []);
    }
}
