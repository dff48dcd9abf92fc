using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.Storage;

namespace Immutable.Web.Audit;

/// <summary>Who did something to the workspace's own configuration: an API key or (later) a signed-in member.</summary>
public sealed record AuditActor(string Id, string? Name, string Type);

/// <summary>
/// Writes the product's own changes (rule edits, acknowledgements...) into the workspace's hash chain as
/// ordinary events, so who changed detection is as tamper-evident as what the applications reported.
/// </summary>
public sealed class AuditTrail(IEventLog log)
{
    /// <summary>The action category of every record written here (the overview counts these actors apart).</summary>
    public const string ActionCategory = "immutable";

    public async Task RecordAsync(string workspaceId, AuditActor actor, string action, string resource, string resourceId, string? resourceName,
        JsonObject metadata, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(metadata.ToJsonString());
        var content = new EventContent
        {
            Id = Guid.NewGuid(),
            ActorId = actor.Id,
            ActorName = actor.Name,
            ActorType = actor.Type,
            Action = action,
            ActionCategory = ActionCategory,
            Resource = resource,
            ResourceId = resourceId,
            ResourceName = resourceName,
            MetadataJson = CanonicalJson.Canonicalize(doc.RootElement),
        };
        await log.AppendAsync(workspaceId, [content], ct);
    }

    /// <summary>
    /// Records a configuration change that was already saved in <paramref name="db"/>. The change and its audit event
    /// live in two stores (a table, the chain writer): if the append fails, <paramref name="undo"/> reverts the change
    /// and it is saved again, so no change exists without its record in the chain.
    /// </summary>
    public async Task RecordOrUndoAsync(Microsoft.EntityFrameworkCore.DbContext db, string workspaceId, AuditActor actor, string action,
        string resource, string resourceId, string? resourceName, JsonObject metadata, Action undo, CancellationToken ct)
    {
        try
        {
            await RecordAsync(workspaceId, actor, action, resource, resourceId, resourceName, metadata, ct);
        }
        catch
        {
            undo();
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
    }
}
