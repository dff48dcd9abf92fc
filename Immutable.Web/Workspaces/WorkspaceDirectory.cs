using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Workspaces;

public sealed record CreatedKey(string Key, string Prefix, string Label, string WorkspaceId, string WorkspaceName);

public sealed record ResolvedKey(string WorkspaceId, string Prefix, string Label, string Id);

public sealed record KeySummary(string Prefix, string Label, string WorkspaceName, DateTime CreatedAt, DateTime? RevokedAt, DateTime? LastUsedAt = null);

/// <summary>Workspaces and their API keys: create, list, revoke, and resolve a presented key.</summary>
public sealed class WorkspaceDirectory(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time, IDomainEvents events)
{
    public async Task<WorkspaceRecord> GetOrCreateWorkspaceAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Workspaces.SingleOrDefaultAsync(w => w.Name == name, ct);
        if (existing is not null) return existing;
        var workspace = new WorkspaceRecord
        {
            Id = ApiKeyFormat.NewId("ws_"),
            Name = name,
            CreatedAt = Timestamps.ToMicroseconds(time.GetUtcNow()),
        };
        db.Workspaces.Add(workspace);
        await db.SaveChangesAsync(ct);
        return workspace;
    }

    /// <summary>Creates a key; the returned <see cref="CreatedKey.Key"/> is the only time the key exists in clear.</summary>
    public async Task<CreatedKey> CreateKeyAsync(string workspaceName, string label, CancellationToken ct = default)
    {
        var workspace = await GetOrCreateWorkspaceAsync(workspaceName, ct);
        var (key, row) = ApiKeyFormat.NewKeyRow(workspace.Id, label, time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return new CreatedKey(key, row.Prefix, label, workspace.Id, workspace.Name);
    }

    public async Task<IReadOnlyList<KeySummary>> ListKeysAsync(string? workspaceName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = from k in db.ApiKeys
                    join w in db.Workspaces on k.WorkspaceId equals w.Id
                    where workspaceName == null || w.Name == workspaceName
                    orderby w.Name, k.CreatedAt
                    select new KeySummary(k.Prefix, k.Label, w.Name, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
        return await query.ToListAsync(ct);
    }

    /// <summary>The keys of one workspace (the dashboard's settings page).</summary>
    public async Task<IReadOnlyList<KeySummary>> ListKeysOfAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await (from k in db.ApiKeys
                      join w in db.Workspaces on k.WorkspaceId equals w.Id
                      where w.Id == workspaceId
                      orderby k.CreatedAt descending
                      select new KeySummary(k.Prefix, k.Label, w.Name, k.CreatedAt, k.RevokedAt, k.LastUsedAt)).ToListAsync(ct);
    }

    /// <summary>Revokes a key of this workspace only (a dashboard member cannot touch another workspace's keys).</summary>
    public async Task<int> RevokeInWorkspaceAsync(string workspaceId, string prefix, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var revoked = await db.ApiKeys
            .Where(k => k.WorkspaceId == workspaceId && k.Prefix == prefix && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct);
        if (revoked > 0) events.Publish(new KeyRevoked(prefix)); // its open /hubs/alerts connections close now
        return revoked;
    }

    /// <summary>Revokes the keys with this prefix; returns how many were revoked. Takes effect on the next request.</summary>
    public async Task<int> RevokeAsync(string prefix, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var revoked = await db.ApiKeys
            .Where(k => k.Prefix == prefix && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct);
        if (revoked > 0) events.Publish(new KeyRevoked(prefix));
        return revoked;
    }

    /// <summary>The workspace a presented key belongs to, or null when the key is unknown or revoked.</summary>
    public async Task<ResolvedKey?> ResolveWorkspaceAsync(string presentedKey, CancellationToken ct = default)
    {
        if (!ApiKeyFormat.LooksValid(presentedKey)) return null;
        var hash = ApiKeyFormat.Hash(presentedKey);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await _activeKey(db, hash);
    }

    // Per instance, not static: a compiled query binds to the first provider's model it runs with (tests run SQLite and
    // PostgreSQL hosts in one process).
    private readonly Func<ImmutableDbContext, string, Task<ResolvedKey?>> _activeKey =
        EF.CompileAsyncQuery((ImmutableDbContext db, string hash) =>
            db.ApiKeys.Where(k => k.KeyHash == hash && k.RevokedAt == null)
                .Select(k => new ResolvedKey(k.WorkspaceId, k.Prefix, k.Label, k.Id)).FirstOrDefault());
}
