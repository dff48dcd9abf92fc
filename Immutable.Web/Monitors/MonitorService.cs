using Immutable.Web.DomainEvents;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Monitors;

/// <summary>
/// Monitors: list, read, create, change, delete, for the API and the dashboard alike. Definitions are validated by
/// <see cref="MonitorCodec"/>; every change is recorded in the workspace's chain and published as <see cref="MonitorChanged"/>.
/// </summary>
public sealed class MonitorService(IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, MonitorEvaluator evaluator, IDomainEvents events, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<QueryActivityOptions> queryActivity)
{
    /// <summary>What a monitor would have raised over a period (<see cref="MonitorDryRun"/>): reads only, stores nothing.</summary>
    public async Task<Result<MonitorDryRunResult>> DryRunAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        var (request, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return unreadable;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await MonitorDryRun.RunAsync(db, queryActivity.Value.ActionPatterns, who.WorkspaceId, request, Timestamps.ToMicroseconds(time.GetUtcNow()), ct);
    }

    /// <summary>The monitor as the API shows it: id, the normalised definition, times.</summary>
    public static JsonObject ToJson(MonitorRecord r)
    {
        var json = new JsonObject { ["id"] = r.Id };
        foreach (var (key, value) in JsonNode.Parse(r.Definition)!.AsObject()) json[key] = value?.DeepClone();
        json["enabled"] = r.Enabled;
        json["created_at"] = Timestamps.ToIso(r.CreatedAt);
        json["updated_at"] = Timestamps.ToIso(r.UpdatedAt);
        return json;
    }

    public async Task<IReadOnlyList<JsonObject>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == who.WorkspaceId).OrderBy(m => m.CreatedAt).ToListAsync(ct);
        return rows.Select(ToJson).ToList();
    }

    public async Task<Result<JsonObject>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == who.WorkspaceId, ct);
        return row is null ? Problem.NotFound("Monitor") : ToJson(row);
    }

    /// <summary>Creates a monitor from its definition (the API's JSON shape, <see cref="MonitorInput"/>).</summary>
    public async Task<Result<JsonObject>> CreateAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (definition, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await evaluator.StartWatchingAsync(db, ws, ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var row = new MonitorRecord
        {
            Id = "mon_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Name = definition!["name"]!.GetValue<string>(),
            Enabled = definition["enabled"]!.GetValue<bool>(),
            Definition = definition.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Monitors.Add(row);
        await db.SaveChangesAsync(ct);
        var json = ToJson(row);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "monitor.created", "monitor", row.Id, row.Name,
            new JsonObject { ["after"] = json.DeepClone() }, () => db.Monitors.Remove(row), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return json;
    }

    public async Task<Result<JsonObject>> UpdateAsync(WorkspacePrincipal who, string id, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
        if (row is null) return Problem.NotFound("Monitor");
        var (definition, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;

        var before = ToJson(row);
        var (oldName, oldEnabled, oldDefinition) = (row.Name, row.Enabled, row.Definition);
        row.Name = definition!["name"]!.GetValue<string>();
        row.Enabled = definition["enabled"]!.GetValue<bool>();
        row.Definition = definition.ToJsonString();
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        var after = ToJson(row);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "monitor.updated", "monitor", row.Id, row.Name,
            new JsonObject { ["before"] = before, ["after"] = after.DeepClone() }, () => (row.Name, row.Enabled, row.Definition) = (oldName, oldEnabled, oldDefinition), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return after;
    }

    /// <summary>Deletes the monitor; its observations stay (they are findings, with the monitor's name).</summary>
    public async Task<Result<Done>> DeleteAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
        if (row is null) return Problem.NotFound("Monitor");
        var before = ToJson(row);
        db.Monitors.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "monitor.deleted", "monitor", row.Id, row.Name,
            new JsonObject { ["before"] = before }, () => db.Monitors.Add(row), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return new Done();
    }

    private static async Task<(JsonObject? Definition, Problem? Problem)> ParseAsync(JsonInput input, CancellationToken ct)
    {
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return (null, unreadable);
        var violations = new List<Violation>();
        var monitor = MonitorCodec.Parse(root, violations);
        return monitor is null ? (null, Problem.Invalid(violations)) : (MonitorCodec.DefinitionJson(monitor), null);
    }
}
