using Immutable.Web.DomainEvents;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

/// <summary>
/// Alert rules: list, read, create, change, delete and dry-run, for the API and the dashboard alike. Every change is
/// validated by <see cref="RuleCodec"/>, recorded in the workspace's chain and published as <see cref="RuleChanged"/>.
/// </summary>
public sealed class AlertRuleService(
    IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, StreamEvaluator detection, IDomainEvents events, IEventCounts counts, TimeProvider time)
{
    public async Task<IReadOnlyList<RuleJson>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == who.WorkspaceId).OrderBy(r => r.CreatedAt).ToListAsync(ct);
        return rows.Select(RuleJson.From).ToList();
    }

    public async Task<Result<RuleJson>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == who.WorkspaceId, ct);
        return row is null ? Problem.NotFound("Alert rule") : RuleJson.From(row);
    }

    /// <summary>Creates a rule from its definition (the API's JSON shape, <see cref="RuleInput"/>).</summary>
    public async Task<Result<RuleJson>> CreateAsync(WorkspacePrincipal who, JsonInput definition, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (draft, problem) = await ParseAsync(db, ws, definition, selfId: null, ct);
        if (problem is not null) return problem;

        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var row = new AlertRuleRecord
        {
            Id = "rul_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Name = draft!.Name,
            RuleType = draft.Conditions.Type,
            Severity = draft.Severity,
            Conditions = "",
            Channels = "",
            CreatedAt = now,
            UpdatedAt = now,
        };
        Apply(row, draft);
        db.AlertRules.Add(row);
        await db.SaveChangesAsync(ct);
        var json = RuleJson.From(row);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "alert_rule.created", "alert_rule", row.Id, row.Name,
            new JsonObject { ["after"] = json.ToAuditJson() }, undo: () => db.AlertRules.Remove(row), ct);
        OnRuleChanged(ws, row.Id);
        return json;
    }

    public async Task<Result<RuleJson>> UpdateAsync(WorkspacePrincipal who, string id, JsonInput definition, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        if (row is null) return Problem.NotFound("Alert rule");
        var (draft, problem) = await ParseAsync(db, ws, definition, selfId: id, ct);
        if (problem is not null) return problem;

        var before = RuleJson.From(row);
        var typeChanged = row.RuleType != draft!.Conditions.Type;
        Apply(row, draft);
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        if (typeChanged)
        {
            // What a rule remembered about actors belongs to its old definition.
            await db.RuleActorCountries.Where(c => c.RuleId == id).ExecuteDeleteAsync(ct);
            await db.RuleTravelFixes.Where(f => f.RuleId == id).ExecuteDeleteAsync(ct);
        }
        await db.SaveChangesAsync(ct);
        var after = RuleJson.From(row);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "alert_rule.updated", "alert_rule", row.Id, row.Name,
            new JsonObject { ["before"] = before.ToAuditJson(), ["after"] = after.ToAuditJson() }, undo: () => Restore(row, before), ct);
        OnRuleChanged(ws, row.Id);
        return after;
    }

    /// <summary>Deletes a rule unless a correlation rule names it (409 rule_in_use).</summary>
    public async Task<Result<Done>> DeleteAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        if (row is null) return Problem.NotFound("Alert rule");
        var correlations = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws && r.RuleType == RuleType.Correlation).ToListAsync(ct);
        var referencedBy = correlations.Where(r => ((CorrelationConditions)r.ToDomain().Conditions).RuleIds.Contains(id)).Select(r => r.Id).ToList();
        if (referencedBy.Count > 0)
            return Problem.Conflict(new ApiError("rule_in_use", $"The rule is part of correlation rule(s) {string.Join(", ", referencedBy)}; change those first."));

        var before = RuleJson.From(row);
        db.AlertRules.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "alert_rule.deleted", "alert_rule", row.Id, row.Name,
            new JsonObject { ["before"] = before.ToAuditJson() }, undo: () => db.AlertRules.Add(row), ct);
        OnRuleChanged(ws, row.Id);
        return new Done();
    }

    /// <summary>Replays stored events through a rule (<see cref="DryRunInput"/>); stores and notifies nothing.</summary>
    public async Task<Result<DryRunResult>> DryRunAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        var (request, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return unreadable;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await DryRunApi.RunAsync(db, counts, who.WorkspaceId, request, Timestamps.ToMicroseconds(time.GetUtcNow()), ct);
    }

    /// <summary>
    /// This instance's rule sets are invalidated right away, so the next event meets the changed rules; the event
    /// reaches the dashboards and other instances (here it invalidates once more, which costs at most one reload).
    /// </summary>
    private void OnRuleChanged(string ws, string ruleId)
    {
        detection.Invalidate(ws);
        events.Publish(new RuleChanged(ws, ruleId));
    }

    private static async Task<(RuleDraft? Draft, Problem? Problem)> ParseAsync(ImmutableDbContext db, string ws, JsonInput definition, string? selfId, CancellationToken ct)
    {
        var (root, unreadable) = await definition.ReadAsync(ct);
        if (unreadable is not null) return (null, unreadable);
        var violations = new List<Violation>();
        var draft = RuleCodec.Parse(root, violations);
        if (draft?.Conditions is CorrelationConditions correlation)
            await CheckCorrelationTargetsAsync(db, ws, selfId, correlation, violations, ct);
        if (violations.Count > 0) return (null, Problem.Invalid(violations));
        return draft is null ? (null, Problem.Invalid("body", "is invalid")) : (draft, null);
    }

    /// <summary>Correlation may only name existing, non-correlation rules of the same workspace (and not itself).</summary>
    public static async Task CheckCorrelationTargetsAsync(ImmutableDbContext db, string ws, string? selfId, CorrelationConditions c, List<Violation> violations, CancellationToken ct)
    {
        var known = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws && c.RuleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.RuleType, ct);
        for (var i = 0; i < c.RuleIds.Count; i++)
        {
            var id = c.RuleIds[i];
            if (id == selfId) violations.Add(new Violation($"conditions.rule_ids[{i}]", "a correlation rule cannot name itself"));
            else if (!known.TryGetValue(id, out var type)) violations.Add(new Violation($"conditions.rule_ids[{i}]", $"no rule {id} in this workspace"));
            else if (type == RuleType.Correlation) violations.Add(new Violation($"conditions.rule_ids[{i}]", "must name a non-correlation rule"));
        }
    }

    private static void Apply(AlertRuleRecord row, RuleDraft draft)
    {
        row.Name = draft.Name;
        row.RuleType = draft.Conditions.Type;
        row.Enabled = draft.Enabled;
        row.Severity = draft.Severity;
        row.Conditions = RuleCodec.ConditionsJson(draft.Conditions).ToJsonString();
        row.Channels = JsonSerializer.Serialize(draft.Channels.Select(c => c == Channel.Email ? "email" : "webhook").ToList());
        row.CooldownMinutes = draft.CooldownMinutes;
    }

    private static void Restore(AlertRuleRecord row, RuleJson before)
    {
        row.Name = before.Name;
        row.RuleType = WireName.Parse<RuleType>(before.RuleType);
        row.Enabled = before.Enabled;
        row.Severity = WireName.Parse<Severity>(before.Severity);
        row.Conditions = before.Conditions.ToJsonString();
        row.Channels = JsonSerializer.Serialize(before.Channels);
        row.CooldownMinutes = before.CooldownMinutes;
    }
}
