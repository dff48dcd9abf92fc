namespace Immutable.Domain.Rules;

/// <summary>
/// Event times of one group, kept sorted, for "N events within W minutes" rules. A window of W minutes
/// includes both ends: events at 10:00:00 and 10:10:00 are within one 10-minute window.
/// Events may arrive out of order (late occurred_at); they are counted in the windows they belong to as long
/// as they are not more than W older than the newest event seen (older ones are forgotten).
/// </summary>
public sealed class SlidingWindow(TimeSpan window)
{
    private readonly List<(DateTime At, Guid EventId, string Action)> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The newest event time held (DateTime.MinValue when empty).</summary>
    public DateTime Newest => _entries.Count == 0 ? DateTime.MinValue : _entries[^1].At;

    /// <summary>Adds an event and returns the fullest window that contains it.</summary>
    public (int Count, IReadOnlyList<(DateTime At, Guid EventId, string Action)> Events) Add(DateTime at, Guid eventId, string action)
    {
        var index = _entries.FindLastIndex(x => x.At <= at) + 1;
        _entries.Insert(index, (at, eventId, action));
        Prune();

        // Candidate windows [s, s + W] with s an event time in [at - W, at]; take the fullest.
        var bestStart = -1;
        var bestCount = 0;
        var right = 0;
        for (var left = 0; left < _entries.Count && _entries[left].At <= at; left++)
        {
            if (_entries[left].At < at - window) continue;
            if (right < left) right = left;
            while (right + 1 < _entries.Count && _entries[right + 1].At <= _entries[left].At + window) right++;
            var count = right - left + 1;
            if (count > bestCount)
            {
                bestCount = count;
                bestStart = left;
            }
        }
        var events = bestStart < 0 ? [] : _entries.GetRange(bestStart, bestCount);
        return (bestCount, events);
    }

    private void Prune()
    {
        var newest = _entries[^1].At;
        var horizon = newest - window - window;
        var drop = 0;
        while (drop < _entries.Count && _entries[drop].At < horizon) drop++;
        if (drop > 0) _entries.RemoveRange(0, drop);
    }
}

/// <summary>
/// The sliding windows of a rule, one per group key.
/// Invariant: a group whose newest event is more than two windows older than the newest event the rule has seen
/// cannot change a future count (its window prunes that far back itself), so it is evicted; memory then grows
/// with the groups active within two windows of the stream's head, not with every group ever seen. An event
/// arriving more than one window later than the stream's head is counted without the evicted group's entries.
/// </summary>
public sealed class WindowGroups(TimeSpan window)
{
    private const int SweepEvery = 1024;
    private readonly Dictionary<string, SlidingWindow> _groups = new(StringComparer.Ordinal);
    private DateTime _newest = DateTime.MinValue;
    private int _sinceSweep;

    public int Count => _groups.Count;

    public (int Count, IReadOnlyList<(DateTime At, Guid EventId, string Action)> Events) Add(string key, DateTime at, Guid eventId, string action)
    {
        if (at > _newest) _newest = at;
        if (!_groups.TryGetValue(key, out var group)) _groups[key] = group = new SlidingWindow(window);
        var result = group.Add(at, eventId, action);
        if (++_sinceSweep >= SweepEvery && _groups.Count >= SweepEvery) Sweep();
        return result;
    }

    private void Sweep()
    {
        _sinceSweep = 0;
        var horizon = _newest - window - window;
        List<string>? expired = null;
        foreach (var (key, group) in _groups)
            if (group.Newest < horizon) (expired ??= []).Add(key);
        if (expired is null) return;
        foreach (var key in expired) _groups.Remove(key);
    }
}
