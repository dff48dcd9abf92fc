using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Workspaces;

/// <summary>
/// A workspace's API keys as its members manage them: admins and owners create and revoke, every change is recorded
/// in the workspace's chain, and a revoked key's open live connections are closed at once (the directory publishes
/// KeyRevoked).
/// </summary>
public sealed class ApiKeyService(IDbContextFactory<ImmutableDbContext> dbFactory, WorkspaceDirectory directory, AuditTrail audit, TimeProvider time)
{
    public const int MaxLabelLength = 100;

    public Task<IReadOnlyList<KeySummary>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default) => directory.ListKeysOfAsync(who.WorkspaceId, ct);

    /// <summary>Why a key label is refused (the dashboard shows it as you type), or null.</summary>
    public static string? LabelProblem(string? label) =>
        string.IsNullOrWhiteSpace(label) || label.Trim().Length > MaxLabelLength ? $"is required, at most {MaxLabelLength} characters" : null;

    /// <summary>Creates a key; the result is the only time the key exists in clear.</summary>
    public async Task<Result<CreatedKey>> CreateAsync(WorkspacePrincipal who, string? label, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        label = label?.Trim();
        if (LabelProblem(label) is { } problem) return Problem.Invalid("label", problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspace = await db.Workspaces.AsNoTracking().SingleAsync(w => w.Id == who.WorkspaceId, ct);
        var (key, row) = ApiKeyFormat.NewKeyRow(workspace.Id, label!, time.GetUtcNow());
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, who.WorkspaceId, who.Actor, "api_key.created", "api_key", row.Prefix, row.Label,
            new JsonObject { ["prefix"] = row.Prefix }, () => db.ApiKeys.Remove(row), ct);
        return new CreatedKey(key, row.Prefix, row.Label, workspace.Id, workspace.Name);
    }

    /// <summary>Revokes an active key of this workspace (never another's); requests with it are refused from now on.</summary>
    public async Task<Result<KeySummary>> RevokeAsync(WorkspacePrincipal who, string prefix, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.WorkspaceId == who.WorkspaceId && k.Prefix == prefix && k.RevokedAt == null, ct);
        if (key is null || await directory.RevokeInWorkspaceAsync(who.WorkspaceId, prefix, ct) == 0) return Problem.NotFound("Active API key");
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "api_key.revoked", "api_key", key.Prefix, key.Label, new JsonObject { ["prefix"] = key.Prefix }, ct);
        return new KeySummary(key.Prefix, key.Label, "", key.CreatedAt, Timestamps.ToMicroseconds(time.GetUtcNow()));
    }
}
