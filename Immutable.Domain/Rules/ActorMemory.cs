namespace Immutable.Domain.Rules;

/// <summary>
/// What a rule remembers per actor for ever (countries seen, last travel fix), held in memory as a bounded cache
/// over the host's store.
/// Invariant: in <em>complete</em> mode (tests, dry runs) the dictionary is the whole memory and a missing actor is a
/// new one. In <em>bounded</em> mode the store is the truth: before observing events the host calls
/// <see cref="Prime"/> for every actor <see cref="IsCached"/> says is missing (with null when the store has nothing),
/// persists what <see cref="DrainChanged"/> returns, then calls <see cref="Trim"/>, which evicts the least recently
/// used clean actors down to the capacity. Observing an actor that was neither cached nor primed is a host bug and throws.
/// </summary>
public sealed class ActorMemory<T> where T : class
{
    private readonly Dictionary<string, LinkedListNode<(string Actor, T? Value)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Actor, T? Value)> _recency = new(); // most recently used first
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

    /// <param name="capacity">Actors kept after <see cref="Trim"/>; null for complete (unbounded) mode.</param>
    public ActorMemory(int? capacity, IEnumerable<(string Actor, T Value)> known)
    {
        if (capacity is < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
        foreach (var (actor, value) in known) Prime(actor, value);
    }

    public int? Capacity { get; }
    public bool IsBounded => Capacity is not null;
    public int Count => _index.Count;

    public bool IsCached(string actor) => _index.ContainsKey(actor);

    /// <summary>Loads what the store knows of an actor (null: nothing yet). Ignored if the actor is already cached.</summary>
    public void Prime(string actor, T? value)
    {
        if (_index.ContainsKey(actor)) return;
        _index[actor] = _recency.AddFirst((actor, value));
    }

    public T? Get(string actor)
    {
        if (_index.TryGetValue(actor, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Value;
        }
        if (IsBounded) throw new InvalidOperationException($"Memory of actor '{actor}' was not loaded before the event was observed.");
        return null;
    }

    public void Set(string actor, T value)
    {
        if (_index.TryGetValue(actor, out var node))
        {
            _recency.Remove(node);
            node.Value = (actor, value);
            _recency.AddFirst(node);
        }
        else _index[actor] = _recency.AddFirst((actor, value));
        _changed.Add(actor);
    }

    /// <summary>Actors changed since the last call, with their value, for the host to persist.</summary>
    public IReadOnlyList<(string Actor, T Value)> DrainChanged()
    {
        var list = _changed.Select(a => (a, _index[a].Value.Value!)).ToList();
        _changed.Clear();
        return list;
    }

    /// <summary>Evicts the least recently used actors whose changes were drained, down to the capacity.</summary>
    public void Trim()
    {
        if (Capacity is not { } capacity) return;
        var node = _recency.Last;
        while (_index.Count > capacity && node is not null)
        {
            var previous = node.Previous;
            if (!_changed.Contains(node.Value.Actor))
            {
                _index.Remove(node.Value.Actor);
                _recency.Remove(node);
            }
            node = previous;
        }
    }
}

/// <summary>A rule whose per-actor memory the host loads from its store before a chunk of events (bounded mode).</summary>
public interface IActorMemoryRule
{
    /// <summary>The actor whose memory this event needs, or null when the rule ignores the event.</summary>
    string? MemoryActor(Immutable.Domain.Events.AuditEvent e);

    bool IsCached(string actor);

    /// <summary>Evicts least recently used actors down to the cache's capacity (after the host persisted changes).</summary>
    void Trim();

    int CachedActors { get; }
}
