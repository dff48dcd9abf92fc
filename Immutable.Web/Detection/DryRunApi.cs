using Immutable.Domain;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

public sealed record DryRunInput(RuleInput? Rule, string? RuleId, string? From, string? To);

public sealed record DryRunAlert(
    string RuleType, string Severity, string Reason, string GroupKey, string ActorId, string? EventId, FlatEvent? Event,
    JsonNode? Context, string FirstEventAt, string LastEventAt, int HitCount, IReadOnlyList<string> RelatedEventIds);

public sealed record DryRunResult(string From, string To, int EventsScanned, int TotalAlerts, bool Truncated, IReadOnlyList<DryRunAlert> Alerts);

/// <summary>
/// POST /api/v1/alert-rules/test: replays the stored events of a period (by ingestion time, default the last
/// 7 days) through a fresh copy of the rule and returns the alerts it would have raised, after noise control.
/// Nothing is stored, nothing is notified, no live state is touched.
/// </summary>
public static class DryRunApi
{
    public const int MaxAlertsReturned = 500;

    public static async Task<Results<Ok<DataEnvelope<DryRunResult>>, JsonHttpResult<ApiError>>> TestAsync(HttpContext http, AlertRuleService rules, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, 64 * 1024);
        var result = await rules.DryRunAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<DryRunResult>(result.Value!));
    }

    /// <summary>Validates the request (<see cref="DryRunInput"/>) and replays; <paramref name="now"/> bounds the period.</summary>
    public static async Task<Result<DryRunResult>> RunAsync(ImmutableDbContext db, IEventCounts counts, string ws, JsonElement root, DateTime now, CancellationToken ct)
    {
        if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object with \"rule\" or \"rule_id\"");

        var violations = new List<Violation>();
        var (from, to) = RequestValues.ReplayPeriod(root, now, TimeSpan.FromDays(31), violations);

        AlertRule? rule = null;
        if (root.TryGetProperty("rule_id", out var idElement) && idElement.ValueKind == JsonValueKind.String)
        {
            var id = idElement.GetString();
            var row = await db.AlertRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
            if (row is null) return Problem.NotFound("Alert rule");
            rule = row.ToDomain();
        }
        else if (root.TryGetProperty("rule", out var ruleElement))
        {
            var ruleViolations = new List<Violation>();
            var draft = RuleCodec.Parse(ruleElement, ruleViolations);
            if (draft?.Conditions is CorrelationConditions cc) await AlertRuleService.CheckCorrelationTargetsAsync(db, ws, null, cc, ruleViolations, ct);
            violations.AddRange(ruleViolations.Select(v => v with { Field = v.Field == "body" ? "rule" : "rule." + v.Field }));
            if (draft is not null)
                rule = new AlertRule { Id = "rul_dry_run", WorkspaceId = ws, Name = draft.Name, Conditions = draft.Conditions, Severity = draft.Severity, CooldownMinutes = draft.CooldownMinutes };
        }
        else violations.Add(new Violation("rule", "send a rule definition as \"rule\", or a saved rule's id as \"rule_id\""));
        if (violations.Count > 0 || rule is null) return Problem.Invalid(violations.Count > 0 ? violations : [new Violation("rule", "is invalid")]);

        var (hits, scanned) = await ReplayAsync(db, counts, ws, rule, from, to, ct);
        var alerts = Collapse(hits).Select(ToJson).ToList();
        return new DryRunResult(Timestamps.ToIso(from), Timestamps.ToIso(to), scanned, alerts.Count, alerts.Count > MaxAlertsReturned, alerts.Take(MaxAlertsReturned).ToList());
    }

    private static async Task<(List<RuleHit> Hits, int Scanned)> ReplayAsync(ImmutableDbContext db, IEventCounts counts, string ws, AlertRule rule, DateTime from, DateTime to, CancellationToken ct)
    {
        if (rule.Conditions is IngestionSpikeConditions) return (await counts.HitsAsync(rule, from, to, ct), 0);

        // Correlation replays the rules it names and correlates their would-be alerts.
        var rules = rule.Conditions is CorrelationConditions c
            ? (await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws && c.RuleIds.Contains(r.Id)).ToListAsync(ct)).Select(r => r.ToDomain() with { Enabled = true }).ToList()
            : [rule with { Enabled = true }];
        var memory = await PriorCountriesAsync(db, ws, rules, from, ct);
        var ruleSet = new RuleSet(rules, memory);
        var hits = new List<RuleHit>();
        var scanned = 0;
        await foreach (var row in db.Events.AsNoTracking().Where(e => e.WorkspaceId == ws && e.CreatedAt >= from && e.CreatedAt <= to).OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            scanned++;
            hits.AddRange(ruleSet.Observe(row.ToDomain()));
        }
        if (rule.Conditions is not CorrelationConditions) return (hits, scanned);

        // As on the live path (AlertWriter.ApplyAsync): each new alert, in stream order, may escalate against the
        // alerts of the same actor raised so far. Alerts are told apart by their rule's id, never by its type, so a
        // correlation of two rules of one type fires here exactly as it does live.
        var raised = new List<RaisedAlert>();
        var escalations = new List<RuleHit>();
        foreach (var (alert, i) in Collapse(hits).Select((a, i) => (a, i)))
        {
            var trigger = new RaisedAlert($"dry_{i}", alert.First.Rule.Id, alert.First.Rule.Type, alert.First.ActorId, alert.First.EventTime);
            raised.Add(trigger);
            if (CorrelationEvaluator.Evaluate(rule, trigger, alert.First.Event, raised.Where(r => r.ActorId == trigger.ActorId).ToList()) is { } hit) escalations.Add(hit);
        }
        return (escalations, scanned);
    }

    /// <summary>new_country's baseline: the countries each actor was seen in before the period.</summary>
    private static async Task<RuleMemory> PriorCountriesAsync(ImmutableDbContext db, string ws, List<AlertRule> rules, DateTime from, CancellationToken ct)
    {
        var countries = new Dictionary<string, IReadOnlyList<(string, string)>>();
        foreach (var rule in rules.Where(r => r.Conditions is NewCountryConditions))
        {
            var patterns = ((NewCountryConditions)rule.Conditions).ActionPatterns;
            var seen = await db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == ws && e.CreatedAt < from && e.IpCountry != null)
                .GroupBy(e => new { e.ActorId, e.IpCountry, e.Action })
                .Select(g => g.Key)
                .ToListAsync(ct);
            countries[rule.Id] = seen.Where(s => ActionPattern.MatchesAny(patterns, s.Action)).Select(s => (s.ActorId, s.IpCountry!)).Distinct().ToList();
        }
        return new RuleMemory(countries, new Dictionary<string, IReadOnlyList<(string, TravelFix)>>());
    }

    private sealed record Collapsed(RuleHit First, DateTime Last, int Count);

    /// <summary>
    /// Noise control in memory, the live path's rule (<see cref="NoiseControl.MergesInto"/>): a hit of a (rule, group
    /// key) within the cooldown of its open alert's first event is one more hit on it; otherwise it opens a new alert.
    /// </summary>
    private static List<Collapsed> Collapse(List<RuleHit> hits)
    {
        var alerts = new List<Collapsed>();
        var open = new Dictionary<(string, string), int>();
        foreach (var hit in hits)
        {
            var key = (hit.Rule.Id, hit.GroupKey);
            if (open.TryGetValue(key, out var index) && NoiseControl.MergesInto(alerts[index].First.EventTime, hit.EventTime, hit.Rule.CooldownMinutes))
            {
                alerts[index] = alerts[index] with { Last = hit.EventTime, Count = alerts[index].Count + 1 };
                continue;
            }
            open[key] = alerts.Count;
            alerts.Add(new Collapsed(hit, hit.EventTime, 1));
        }
        return alerts;
    }

    private static DryRunAlert ToJson(Collapsed a) => new(
        WireName.Of(a.First.Rule.Type), WireName.Of(a.First.Severity), a.First.Reason, a.First.GroupKey, a.First.ActorId,
        a.First.Event?.Id.ToString("D"), a.First.Event is null ? null : FlatEvent.From(a.First.Event),
        JsonNode.Parse(DetectionJson.Serialize(a.First.Context)), Timestamps.ToIso(a.First.EventTime), Timestamps.ToIso(a.Last), a.Count,
        a.First.RelatedEventIds.Select(g => g.ToString("D")).ToList());
}
