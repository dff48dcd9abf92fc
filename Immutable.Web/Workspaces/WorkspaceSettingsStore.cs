using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.DomainEvents;
using Immutable.Web.Enrichment;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Workspaces;

/// <summary>A workspace's settings as the request path needs them: parsed once, read on every request.</summary>
public sealed record WorkspacePolicy(IReadOnlyList<IPNetwork> IpAllowlist, EventSchema Schema, IReadOnlyList<string> FrameAncestors, byte[]? ViewerSecret)
{
    public static WorkspacePolicy Default { get; } = new([], EventSchema.None, [], null);

    /// <summary>Empty list = every address; otherwise the address must fall in one of the networks.</summary>
    public bool Allows(IPAddress? address)
    {
        if (IpAllowlist.Count == 0) return true;
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in IpAllowlist)
            if (network.Contains(address)) return true;
        return false;
    }
}

/// <summary>
/// Reads and caches <see cref="WorkspaceSettingsRecord"/> rows. The cache holds one load per workspace; a change
/// drops it (<see cref="Invalidate"/>, called by the writer after its commit, and <see cref="WorkspaceSettingsChanged"/>
/// for other instances), so the next request reads the committed row.
/// </summary>
public sealed class WorkspaceSettingsStore(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time) : IDomainEventSubscriber
{
    private readonly ConcurrentDictionary<string, Lazy<Task<WorkspacePolicy>>> _cache = new(StringComparer.Ordinal);

    public async Task<WorkspacePolicy> GetAsync(string workspaceId, CancellationToken ct = default)
    {
        var entry = _cache.GetOrAdd(workspaceId, ws => new Lazy<Task<WorkspacePolicy>>(() => LoadAsync(ws)));
        try
        {
            return await entry.Value.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            _cache.TryRemove(new KeyValuePair<string, Lazy<Task<WorkspacePolicy>>>(workspaceId, entry));
            throw;
        }
    }

    public void Invalidate(string workspaceId) => _cache.TryRemove(workspaceId, out _);

    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        if (domainEvent is WorkspaceSettingsChanged changed) Invalidate(changed.WorkspaceId);
        else if (domainEvent is PeerEventsMissed) _cache.Clear(); // another instance's changes may have been lost
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The workspace's viewer-token key, made (and stored) on first use. Two first tokens at once agree on one key: the
    /// key is set only where none is stored yet, and what is stored is what is returned.
    /// </summary>
    public async Task<byte[]> ViewerSecretAsync(string workspaceId, CancellationToken ct = default)
    {
        var policy = await GetAsync(workspaceId, ct);
        if (policy.ViewerSecret is { } secret) return secret;
        for (var attempt = 0; ; attempt++)
        {
            var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var updated = await db.WorkspaceSettings.Where(s => s.WorkspaceId == workspaceId && s.ViewerSecret == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.ViewerSecret, candidate), ct);
            if (updated == 0 && !await db.WorkspaceSettings.AnyAsync(s => s.WorkspaceId == workspaceId, ct))
            {
                db.WorkspaceSettings.Add(new WorkspaceSettingsRecord { WorkspaceId = workspaceId, ViewerSecret = candidate, UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow()) });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException) when (attempt < 3)
                {
                    // Created meanwhile by another request: read (or set) its key on the next round.
                    continue;
                }
            }
            Invalidate(workspaceId);
            var stored = await db.WorkspaceSettings.AsNoTracking().Where(s => s.WorkspaceId == workspaceId).Select(s => s.ViewerSecret).SingleAsync(ct);
            if (stored is not null) return Convert.FromBase64String(stored);
            if (attempt >= 3) throw new InvalidOperationException("The viewer key could not be stored.");
        }
    }

    /// <summary>The tracked settings row of the workspace, added (not saved) when it has none yet.</summary>
    public async Task<WorkspaceSettingsRecord> GetOrCreateRowAsync(ImmutableDbContext db, string workspaceId, CancellationToken ct)
    {
        var row = await db.WorkspaceSettings.SingleOrDefaultAsync(s => s.WorkspaceId == workspaceId, ct);
        if (row is not null) return row;
        row = new WorkspaceSettingsRecord { WorkspaceId = workspaceId, UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow()) };
        db.WorkspaceSettings.Add(row);
        return row;
    }

    private async Task<WorkspacePolicy> LoadAsync(string workspaceId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var row = await db.WorkspaceSettings.AsNoTracking().SingleOrDefaultAsync(s => s.WorkspaceId == workspaceId);
        return row is null ? WorkspacePolicy.Default : ToPolicy(row);
    }

    public static WorkspacePolicy ToPolicy(WorkspaceSettingsRecord row)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in List(row.IpAllowlist))
            if (EnrichmentExtensions.TryParseNetwork(entry, out var network)) networks.Add(network);
        var mode = WireName.TryParse<SchemaMode>(row.SchemaMode, out var m) ? m : SchemaMode.Strict;
        return new WorkspacePolicy(networks, new EventSchema(mode, List(row.SchemaPatterns)), List(row.FrameAncestors),
            row.ViewerSecret is null ? null : Convert.FromBase64String(row.ViewerSecret));
    }

    public static IReadOnlyList<string> List(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];
}
