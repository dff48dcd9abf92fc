using Immutable.Domain.Alerts;
using Immutable.Domain;
using Immutable.Domain.Rules;
using Immutable.Web.Alerts;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

/// <summary>
/// Turns rule hits into alert rows inside the caller's unit of work: a new alert, or — noise control — one more
/// hit on the open alert of the same (rule, group key) within the rule's cooldown. New alerts feed the
/// workspace's correlation rules, whose escalations go through the same path.
/// </summary>
public sealed class AlertWriter(ImmutableDbContext db, string workspaceId, DateTime now, IReadOnlyList<AlertRule> correlationRules)
{
    private readonly Dictionary<(string RuleId, string GroupKey), AlertRecord> _open = [];
    private readonly List<AlertRecord> _created = [];
    private readonly HashSet<string> _createdIds = new(StringComparer.Ordinal);
    private readonly List<AlertRecord> _toWebhooks = [];
    private readonly List<AlertRecord> _toEmail = [];

    private bool _preloaded;

    public IReadOnlyList<AlertRecord> Created => _created;

    /// <summary>
    /// Loads, in two queries, what the hits of a chunk of events can touch: the open alerts that can still absorb a
    /// hit (first event within the longest cooldown of the chunk's event times) and the alerts already derived from
    /// these events. Afterwards a (rule, group key) missing from the cache is known to have no open alert.
    /// </summary>
    public async Task PreloadAsync(IReadOnlyCollection<string> eventIds, DateTime minEventTime, DateTime maxEventTime, int maxCooldownMinutes, CancellationToken ct)
    {
        var from = minEventTime.AddMinutes(-maxCooldownMinutes);
        var to = maxEventTime.AddMinutes(maxCooldownMinutes);
        var open = await db.Alerts
            .Where(a => a.WorkspaceId == workspaceId && a.Status == AlertStatus.Open && a.FirstEventAt >= from && a.FirstEventAt <= to)
            .ToListAsync(ct);
        foreach (var alert in open.OrderBy(a => a.RowId)) _open[(alert.RuleId, alert.GroupKey)] = alert;
        var existing = await db.Alerts.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.EventId != null && eventIds.Contains(a.EventId))
            .Select(a => a.Id)
            .ToListAsync(ct);
        _createdIds.UnionWith(existing);
        _preloaded = true;
    }
    public List<AlertRecord> Changed { get; } = [];

    /// <summary>
    /// Queues the new alerts' email items and writes their webhook notifications into the outbox, in the caller's
    /// transaction (noise-merged hits notify nobody); returns how many webhook deliveries were queued.
    /// </summary>
    public Task<int> EnqueueNotificationsAsync(string publicUrl, CancellationToken ct)
    {
        Immutable.Web.Delivery.Email.EmailQueue.Alerts(db, _toEmail, publicUrl, now);
        return Immutable.Web.Delivery.Webhook.WebhookOutbox.EnqueueAsync(db, workspaceId, Immutable.Web.Delivery.Webhook.WebhookOutbox.Alerts,
            _toWebhooks.Select(a => ("alert.triggered", a.Id, Immutable.Web.Delivery.Webhook.WebhookOutbox.AlertPayload(a))).ToList(), now, ct);
    }

    /// <summary>After the commit: live push learns what was created and changed, the dispatcher that deliveries wait.</summary>
    public void Publish(IDomainEvents events, int webhookDeliveries)
    {
        if (_created.Count + Changed.Count > 0)
            events.Publish(new AlertsCommitted(workspaceId, _created.Select(AlertJson.From).ToList(), Changed.Where(c => !_created.Contains(c)).Select(AlertJson.From).ToList()));
        if (webhookDeliveries > 0) events.Publish(new DeliveriesEnqueued(workspaceId));
    }

    public async Task ApplyAsync(RuleHit hit, CancellationToken ct)
    {
        var alert = await ApplyOneAsync(hit, ct);
        if (alert is null || hit.Rule.Type == RuleType.Correlation) return;
        foreach (var rule in correlationRules)
        {
            // Only correlations that name this alert's rule can fire; skip the query for the others.
            if (!((CorrelationConditions)rule.Conditions).RuleIds.Contains(alert.RuleId, StringComparer.Ordinal)) continue;
            var recent = await RecentAlertsOfActorAsync(alert.ActorId, alert.FirstEventAt, ((CorrelationConditions)rule.Conditions).WindowMinutes, ct);
            var trigger = Raised(alert);
            if (CorrelationEvaluator.Evaluate(rule, trigger, hit.Event, recent) is { } escalation)
                await ApplyOneAsync(escalation, ct);
        }
    }

    /// <summary>Returns the alert when a new one was created; null when the hit was merged into an open alert.</summary>
    private async Task<AlertRecord?> ApplyOneAsync(RuleHit hit, CancellationToken ct)
    {
        var key = (hit.Rule.Id, hit.GroupKey);
        if (!_open.TryGetValue(key, out var open) && !(_preloaded && hit.Event is not null && hit.Rule.Type != RuleType.Correlation))
        {
            open = await db.Alerts
                .Where(a => a.WorkspaceId == workspaceId && a.RuleId == hit.Rule.Id && a.GroupKey == hit.GroupKey && a.Status == AlertStatus.Open)
                .OrderByDescending(a => a.RowId)
                .FirstOrDefaultAsync(ct);
        }
        if (open is not null && NoiseControl.MergesInto(open.FirstEventAt, hit.EventTime, hit.Rule.CooldownMinutes))
        {
            open.HitCount++;
            open.LastSeenAt = now;
            _open[key] = open;
            if (!Changed.Contains(open)) Changed.Add(open);
            return null;
        }

        var about = hit.Event is { } e ? e.Id.ToString("D") : Immutable.Domain.Chain.Timestamps.ToIso(hit.EventTime) + "|" + hit.GroupKey;
        var id = DetectionJson.DeterministicAlertId(workspaceId, hit.Rule.Id, about);
        if (_createdIds.Contains(id) || (!(_preloaded && hit.Event is not null) && await db.Alerts.AnyAsync(a => a.Id == id, ct))) return null;

        var alert = new AlertRecord
        {
            Id = id,
            WorkspaceId = workspaceId,
            RuleId = hit.Rule.Id,
            RuleName = hit.Rule.Name,
            RuleType = hit.Rule.Type,
            Severity = hit.Severity,
            Status = AlertStatus.Open,
            Reason = hit.Reason,
            GroupKey = hit.GroupKey,
            ActorId = hit.ActorId,
            EventId = hit.Event?.Id.ToString("D"),
            Event = hit.Event is null ? null : DetectionJson.Serialize(FlatEvent.From(hit.Event)),
            Context = DetectionJson.Serialize(hit.Context),
            RelatedEventIds = DetectionJson.Serialize(hit.RelatedEventIds.Select(g => g.ToString("D")).ToList()),
            FirstEventAt = hit.EventTime,
            TriggeredAt = now,
            LastSeenAt = now,
            HitCount = 1,
        };
        db.Alerts.Add(alert);
        _open[key] = alert;
        _created.Add(alert);
        _createdIds.Add(id);
        if (hit.Rule.Channels.Contains(Channel.Webhook)) _toWebhooks.Add(alert);
        if (hit.Rule.Channels.Contains(Channel.Email)) _toEmail.Add(alert);
        return alert;
    }

    private async Task<List<RaisedAlert>> RecentAlertsOfActorAsync(string actorId, DateTime around, int windowMinutes, CancellationToken ct)
    {
        var from = around.AddMinutes(-windowMinutes);
        var to = around.AddMinutes(windowMinutes);
        var stored = await db.Alerts.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.ActorId == actorId && a.FirstEventAt >= from && a.FirstEventAt <= to)
            .ToListAsync(ct);
        return stored.Concat(_created.Where(a => a.ActorId == actorId && a.FirstEventAt >= from && a.FirstEventAt <= to))
            .DistinctBy(a => a.Id)
            .Select(Raised)
            .ToList();
    }

    private static RaisedAlert Raised(AlertRecord a) =>
        new(a.Id, a.RuleId, a.RuleType, a.ActorId, a.FirstEventAt);
}
