using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using System.Text.Json.Nodes;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// What webhook endpoints and log streams do alike with their rows (one table, told apart by
/// <see cref="WebhookEndpointRecord.Kind"/>): every read is within the caller's workspace and the kind, so an id of the
/// other kind or another workspace is not found; a delete is recorded in the chain, or undone when it cannot be.
/// </summary>
internal sealed class EndpointRows(IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, string kind, string noun, string auditType)
{
    public IQueryable<WebhookEndpointRecord> All(ImmutableDbContext db, WorkspacePrincipal who) =>
        db.WebhookEndpoints.Where(e => e.WorkspaceId == who.WorkspaceId && e.Kind == kind);

    public IQueryable<WebhookEndpointRecord> One(ImmutableDbContext db, WorkspacePrincipal who, string id) =>
        All(db, who).Where(e => e.Id == id);

    public async Task<IReadOnlyList<T>> ListAsync<T>(WorkspacePrincipal who, Func<WebhookEndpointRecord, T> map, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await All(db, who).AsNoTracking().OrderBy(e => e.CreatedAt).ToListAsync(ct);
        return rows.Select(map).ToList();
    }

    public async Task<Result<T>> GetAsync<T>(WorkspacePrincipal who, string id, Func<WebhookEndpointRecord, T> map, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await One(db, who, id).AsNoTracking().SingleOrDefaultAsync(ct);
        return row is null ? Problem.NotFound(noun) : map(row);
    }

    public async Task<Result<Done>> DeleteAsync(WorkspacePrincipal who, string id, CancellationToken ct)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await One(db, who, id).SingleOrDefaultAsync(ct);
        if (row is null) return Problem.NotFound(noun);
        db.WebhookEndpoints.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, who.WorkspaceId, who.Actor, auditType + ".deleted", auditType, row.Id, row.Url,
            new JsonObject { ["url"] = row.Url }, () => db.WebhookEndpoints.Add(row), ct);
        return new Done();
    }
}
