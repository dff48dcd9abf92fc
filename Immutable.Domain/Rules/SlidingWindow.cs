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
