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
/// Bounded: at most <see cref="StorageOptions.CommittedTailEvents"/> events in all; the oldest go first.
/// </summary>
public sealed class CommittedEventTail(IOptions<StorageOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedList<AuditEvent>> _byWorkspace = new(StringComparer.Ordinal);
    // Workspace of each kept event, oldest first: the global eviction order.
    private readonly Queue<string> _order = new();

    /// <summary>Keeps events just committed (in sequence order per workspace). Called by the chain writer only.</summary>
    public void Add(IEnumerable<AuditEvent> committed)
    {
        var capacity = options.Value.CommittedTailEvents;
        if (capacity == 0) return;
        lock (_lock)
        {
            foreach (var e in committed)
            {
                if (!_byWorkspace.TryGetValue(e.WorkspaceId, out var list)) _byWorkspace[e.WorkspaceId] = list = new LinkedList<AuditEvent>();
                // A run that does not continue the kept one (another writer filled the gap): start over from this event.
                if (list.Last is { } last && last.Value.Sequence + 1 != e.Sequence) list.Clear();
                list.AddLast(e);
                _order.Enqueue(e.WorkspaceId);
            }
            while (_order.Count > capacity)
            {
                var ws = _order.Dequeue();
                if (_byWorkspace.TryGetValue(ws, out var list) && list.Count > 0)
                {
                    list.RemoveFirst();
                    if (list.Count == 0) _byWorkspace.Remove(ws);
                }
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
            if (list.First.Value.Sequence > after + 1 || list.Last!.Value.Sequence <= after) return null;
            var result = new List<AuditEvent>(Math.Min(max, (int)Math.Min(int.MaxValue, list.Last.Value.Sequence - after)));
            // Newest first is shorter to walk when the reader is close behind (the usual case).
            var node = list.Last;
            while (node.Previous is { } previous && previous.Value.Sequence > after) node = previous;
            for (; node is not null && result.Count < max; node = node.Next) result.Add(node.Value);
            return result;
        }
    }
}
