using Immutable.Domain;
using System.Collections.Concurrent;
using Immutable.Web.Accounts;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Auth;

/// <summary>
/// The long-lived connections a credential keeps open after its request was authorised: /hubs/alerts connections
/// (an API key) and dashboard circuits (a session of a member).
/// Invariant: within about <c>Accounts:SessionCheckMilliseconds</c> of a key's revocation — by the API, the dashboard,
/// or the CLI in another process: the store is the truth; <see cref="KeyRevoked"/> only makes the check sooner — its hub connections are aborted;
/// within the same time of a session's end, a member's removal or a role change, the circuit's authentication state
/// becomes anonymous (the dashboard sends it to sign-in). One batched query per kind per check, only while any are open.
/// </summary>
public sealed partial class LiveSessions(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IOptions<AccountOptions> options,
    ILogger<LiveSessions> logger) : BackgroundService, IDomainEventSubscriber
{
    private sealed record Circuit(string SessionId, string Role, Action End);

    private readonly ConcurrentDictionary<string, (string KeyPrefix, HubCallerContext Context)> _hubConnections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Circuit, byte> _circuits = new();
    private readonly SemaphoreSlim _wake = new(0);

    public int HubConnections => _hubConnections.Count;
    public int Circuits => _circuits.Count;

    public void AddHubConnection(HubCallerContext context, string keyPrefix) => _hubConnections[context.ConnectionId] = (keyPrefix, context);

    public void RemoveHubConnection(string connectionId) => _hubConnections.TryRemove(connectionId, out _);

    /// <summary>Watches a circuit's session; <paramref name="end"/> runs once when it must lose access. Dispose to stop.</summary>
    public IDisposable WatchCircuit(string sessionId, string role, Action end)
    {
        var circuit = new Circuit(sessionId, role, end);
        _circuits[circuit] = 0;
        return new Unwatch(() => _circuits.TryRemove(circuit, out _));
    }

    /// <summary>A key was revoked or a member's access changed (here or on another instance): check now, not at the next tick.</summary>
    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        if (domainEvent is KeyRevoked or MemberAccessChanged) CheckSoon();
        return ValueTask.CompletedTask;
    }

    private void CheckSoon()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.SessionCheckMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
                await _wake.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                LogCheckFailed(ex);
                try { await Task.Delay(interval, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public async Task CheckAsync(CancellationToken ct)
    {
        if (_hubConnections.IsEmpty && _circuits.IsEmpty) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!_hubConnections.IsEmpty)
        {
            var prefixes = _hubConnections.Values.Select(v => v.KeyPrefix).Distinct(StringComparer.Ordinal).ToList();
            var active = (await db.ApiKeys.AsNoTracking().Where(k => prefixes.Contains(k.Prefix) && k.RevokedAt == null)
                .Select(k => k.Prefix).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
            foreach (var (id, (prefix, context)) in _hubConnections)
            {
                if (active.Contains(prefix)) continue;
                _hubConnections.TryRemove(id, out _);
                LogHubAborted(prefix);
                context.Abort();
            }
        }
        if (!_circuits.IsEmpty)
        {
            var ids = _circuits.Keys.Select(c => c.SessionId).Distinct(StringComparer.Ordinal).ToList();
            var roles = await (from s in db.DashboardSessions
                               join m in db.WorkspaceMembers on new { s.WorkspaceId, s.Email } equals new { m.WorkspaceId, m.Email }
                               where ids.Contains(s.Id) && s.EndedAt == null
                               select new { s.Id, m.Role }).ToDictionaryAsync(x => x.Id, x => WireName.Of(x.Role), StringComparer.Ordinal, ct);
            foreach (var circuit in _circuits.Keys)
            {
                if (roles.TryGetValue(circuit.SessionId, out var role) && role == circuit.Role) continue;
                if (!_circuits.TryRemove(circuit, out _)) continue;
                try { circuit.End(); }
                catch (Exception ex) { LogCheckFailed(ex); }
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private sealed class Unwatch(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) action();
        }
    }

    [LoggerMessage(LogLevel.Information, "Closed a live connection of revoked API key {Prefix}.")]
    private partial void LogHubAborted(string prefix);

    [LoggerMessage(LogLevel.Warning, "Checking live connections against revocations failed; retrying.")]
    private partial void LogCheckFailed(Exception ex);
}
