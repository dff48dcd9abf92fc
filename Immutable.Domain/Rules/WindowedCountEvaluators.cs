using System.Text.Json;
using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>
/// repeated_action: the count of matching events for one group key (actor, IP, or a metadata value; compared
/// case-insensitively) within a sliding window reaches the threshold. Failed logins usually arrive as actor
/// "unknown" with the target in metadata.attempted_email, hence group_by.
/// </summary>
public sealed class RepeatedActionEvaluator(AlertRule rule) : IEventRuleEvaluator
{
    private readonly RepeatedActionConditions _c = (RepeatedActionConditions)rule.Conditions;
    private readonly WindowGroups _groups = new(TimeSpan.FromMinutes(((RepeatedActionConditions)rule.Conditions).WindowMinutes));

    public AlertRule Rule => rule;

    /// <summary>Groups with a live window (expired ones are evicted).</summary>
    public int Groups => _groups.Count;

    public static string? GroupValue(AuditEvent e, string groupBy)
    {
        if (groupBy == "actor_id") return e.Content.ActorId;
        if (groupBy == "ip_address") return e.Content.IpAddress;
        if (!groupBy.StartsWith("metadata.", StringComparison.Ordinal) || e.Content.MetadataJson is null) return null;
        using var doc = JsonDocument.Parse(e.Content.MetadataJson);
        if (!doc.RootElement.TryGetProperty(groupBy["metadata.".Length..], out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
    }

    public RuleHit? Observe(AuditEvent e)
    {
        if (!ActionPattern.MatchesAny(_c.ActionPatterns, e.Content.Action)) return null;
        var value = GroupValue(e, _c.GroupBy);
        if (string.IsNullOrWhiteSpace(value)) return null;
        var key = Wording.FoldKey(value);
        var (count, events) = _groups.Add(key, e.OccurredAt, e.Id, e.Content.Action);
        if (count < _c.Threshold) return null;

        return new RuleHit(rule, key, e.Content.ActorId, e, e.OccurredAt,
            $"{count} {e.Content.Action} events for {_c.GroupBy}={key} within {_c.WindowMinutes} minutes (threshold {_c.Threshold})",
            new RepeatedActionContext(count, _c.Threshold, _c.WindowMinutes, _c.GroupBy, key),
            events.Select(x => x.EventId).ToList());
    }
}

/// <summary>high_volume_destructive: a burst of deletions/removals by one actor (or the whole workspace).</summary>
public sealed class HighVolumeDestructiveEvaluator(AlertRule rule) : IEventRuleEvaluator
{
    private const string WholeWorkspace = "*";
    private readonly HighVolumeDestructiveConditions _c = (HighVolumeDestructiveConditions)rule.Conditions;
    private readonly WindowGroups _groups = new(TimeSpan.FromMinutes(((HighVolumeDestructiveConditions)rule.Conditions).WindowMinutes));

    public AlertRule Rule => rule;

    /// <summary>Groups with a live window (expired ones are evicted).</summary>
    public int Groups => _groups.Count;

    public RuleHit? Observe(AuditEvent e)
    {
        if (!ActionPattern.MatchesAny(_c.ActionPatterns, e.Content.Action)) return null;
        var key = _c.PerActor ? Wording.FoldKey(e.Content.ActorId) : WholeWorkspace;
        var (count, events) = _groups.Add(key, e.OccurredAt, e.Id, e.Content.Action);
        if (count < _c.Threshold) return null;

        var actions = events.Select(x => x.Action).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var who = _c.PerActor ? $"Actor {e.Content.ActorId}" : "The workspace";
        return new RuleHit(rule, key, _c.PerActor ? e.Content.ActorId : WholeWorkspace, e, e.OccurredAt,
            $"{who} performed {count} destructive actions ({string.Join(", ", actions)}) within {_c.WindowMinutes} minutes (threshold {_c.Threshold})",
            new HighVolumeDestructiveContext(count, _c.Threshold, _c.WindowMinutes, actions, events.Take(10).Select(x => x.EventId).ToList()),
            events.Select(x => x.EventId).ToList());
    }
}
