using Immutable.Domain.Events;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Storage;

/// <summary>
/// The newest committed events, kept in memory by the chain writer after each commit, so the workers that follow the
/// chain right behind ingest (stream detection, log streams) take them from here instead of reading back from the store
/// what was written a moment ago.
/// <code>
///   chain writer ── commit ──▶ Add(events) ──▶ publish EventsAppended
///   worker: TryRead(ws, after: its checkpoint) ── hit: events after+1.. from memory
///                                              └─ miss (restart, fell behind, another instance wrote) ──▶ read the store
/// </code>
/// Invariant: a read returns only a gap-free run starting exactly at <c>after + 1</c>, so a worker fed from here sees
/// the same events, in the same order, as one reading the store. Anything not provable from memory is a miss.
/// Bounded by <see cref="StorageOptions.CommittedTailEvents"/> events and <see cref="StorageOptions.CommittedTailBytes"/>
/// (estimated) in all; the oldest go first.
/// </summary>
public sealed class CommittedEventTail(IOptions<StorageOptions> options)
{
    private readonly record struct Kept(AuditEvent Event, long Bytes);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedList<Kept>> _byWorkspace = new(StringComparer.Ordinal);
    // (workspace, sequence) of each added event, oldest first: the global eviction order. Entries of events already
    // dropped (a run restarted, retention) are skipped when they come up.
    private readonly Queue<(string Workspace, long Sequence)> _order = new();
    private long _count;
    private long _bytes;

    /// <summary>Keeps events just committed (in sequence order per workspace). Called by the chain writer only.</summary>
    public void Add(IEnumerable<AuditEvent> committed)
    {
        var capacity = options.Value.CommittedTailEvents;
        var maxBytes = options.Value.CommittedTailBytes;
        if (capacity == 0 || maxBytes == 0) return;
        lock (_lock)
        {
            foreach (var e in committed)
            {
                if (!_byWorkspace.TryGetValue(e.WorkspaceId, out var list)) _byWorkspace[e.WorkspaceId] = list = new LinkedList<Kept>();
                // A run that does not continue the kept one (another writer filled the gap): start over from this event.
                if (list.Last is { } last && last.Value.Event.Sequence + 1 != e.Sequence) RemoveWhile(list, _ => true);
                var kept = new Kept(e, EstimateBytes(e));
                list.AddLast(kept);
                _count++;
                _bytes += kept.Bytes;
                _order.Enqueue((e.WorkspaceId, e.Sequence));
            }
            while (_order.Count > 0 && (_count > capacity || _bytes > maxBytes || _order.Count > 2L * capacity))
            {
                var (ws, sequence) = _order.Dequeue();
                if (_byWorkspace.TryGetValue(ws, out var list) && list.First is { } first && first.Value.Event.Sequence == sequence)
                    RemoveWhile(list, k => k.Event.Sequence <= sequence);
            }
        }
    }

    /// <summary>
    /// The events after <paramref name="after"/>, at most <paramref name="max"/>, when memory holds the one right after
    /// it; null when it does not (the caller reads the store). An empty answer is never given: "nothing newer" is a
    /// question for the store, which may hold events another process wrote.
    /// </summary>
    public IReadOnlyList<AuditEvent>? TryRead(string workspaceId, long after, int max)
    {
        lock (_lock)
        {
            if (!_byWorkspace.TryGetValue(workspaceId, out var list) || list.First is null) return null;
            if (list.First.Value.Event.Sequence > after + 1 || list.Last!.Value.Event.Sequence <= after) return null;
            var result = new List<AuditEvent>(Math.Min(max, (int)Math.Min(int.MaxValue, list.Last.Value.Event.Sequence - after)));
            // Newest first is shorter to walk when the reader is close behind (the usual case).
            var node = list.Last;
            while (node.Previous is { } previous && previous.Value.Event.Sequence > after) node = previous;
            for (; node is not null && result.Count < max; node = node.Next) result.Add(node.Value.Event);
            return result;
        }
    }

    /// <summary>Drops a workspace's events up to <paramref name="sequence"/> (retention deleted them from the store).</summary>
    public void ForgetThrough(string workspaceId, long sequence)
    {
        lock (_lock)
        {
            if (_byWorkspace.TryGetValue(workspaceId, out var list)) RemoveWhile(list, k => k.Event.Sequence <= sequence);
        }
    }

    private void RemoveWhile(LinkedList<Kept> list, Func<Kept, bool> drop)
    {
        while (list.First is { } first && drop(first.Value))
        {
            _count--;
            _bytes -= first.Value.Bytes;
            list.RemoveFirst();
        }
    }

    /// <summary>Roughly what an event holds in memory: its strings (UTF-16) and a fixed overhead for the objects.</summary>
    public static long EstimateBytes(AuditEvent e)
    {
        var c = e.Content;
        long chars = Len(c.ActorId) + Len(c.ActorName) + Len(c.ActorType) + Len(c.Action) + Len(c.ActionCategory) + Len(c.Resource)
            + Len(c.ResourceId) + Len(c.ResourceName) + Len(c.MetadataJson) + Len(c.TenantId) + Len(c.SessionId) + Len(c.IpAddress)
            + Len(c.UserAgent) + Len(c.IdempotencyKey) + Len(c.Geo.City) + Len(c.Geo.TimeZone) + Len(e.EventHash) + Len(e.PreviousEventHash)
            + Len(e.WorkspaceId);
        foreach (var t in c.Targets) chars += Len(t.Type) + Len(t.Id) + Len(t.Name) + Len(t.MetadataJson) + 32;
        return 512 + 2 * chars;

        static int Len(string? s) => s?.Length ?? 0;
    }
}
