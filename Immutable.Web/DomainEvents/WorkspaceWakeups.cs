using System.Collections.Concurrent;

namespace Immutable.Web.DomainEvents;

/// <summary>
/// How a background worker learns which workspaces need it: subscribers mark workspaces (from
/// <see cref="EventsAppended"/> and the like) and wake the worker; the worker takes the marked set as a run starts and
/// waits for the next wake-up or its sweep interval. Marks coalesce, so a burst of commits to one workspace costs one
/// run, and a mark made during a run is kept for the next.
/// </summary>
public sealed class WorkspaceWakeups : IDisposable
{
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Marks <paramref name="workspaceId"/> without waking the worker (call <see cref="Wake"/> after marking several).</summary>
    public void Mark(string workspaceId) => _pending[workspaceId] = 0;

    /// <summary>Wakes the worker if it waits; wake-ups while it runs coalesce into one more run.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    public void MarkAndWake(IEnumerable<string> workspaceIds)
    {
        foreach (var ws in workspaceIds) Mark(ws);
        Wake();
    }

    /// <summary>A subscriber's whole handler when only appends matter: marks the workspaces that got events and wakes.</summary>
    public ValueTask WakeOnAppends(DomainEvent domainEvent)
    {
        if (domainEvent is EventsAppended appended) MarkAndWake(appended.WorkspaceIds);
        return ValueTask.CompletedTask;
    }

    /// <summary>The marked workspaces, unmarked: marks made after this call wake another run.</summary>
    public List<string> Take()
    {
        var taken = new List<string>();
        foreach (var ws in _pending.Keys)
            if (_pending.TryRemove(ws, out _)) taken.Add(ws);
        return taken;
    }

    /// <summary>Until the next wake-up or <paramref name="timeout"/> (the worker's sweep interval).</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}
