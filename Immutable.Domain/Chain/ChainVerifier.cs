using Immutable.Domain.Events;

namespace Immutable.Domain.Chain;

public enum ChainBreakType
{
    /// <summary>The stored hash is not the hash of the stored content: a field was edited.</summary>
    HashMismatch,
    /// <summary>The link to the previous event does not hold: an event was removed, inserted or moved.</summary>
    ChainBreak,
}

/// <param name="ExpectedHash">What the chain says the value should be (recomputed hash, or previous event's hash).</param>
/// <param name="ActualHash">What is stored.</param>
public sealed record ChainBreak(Guid EventId, long Sequence, ChainBreakType Type, string? ExpectedHash, string? ActualHash);

public sealed record ChainVerification(bool Valid, int EventsChecked, IReadOnlyList<ChainBreak> Breaks);

/// <summary>Checks a run of consecutive stored events of one workspace, in sequence order.</summary>
public static class ChainVerifier
{
    /// <param name="events">Events ordered by sequence.</param>
    /// <param name="predecessor">
    /// The stored event just before the first one (null when the run starts at the chain's beginning).
    /// </param>
    public static ChainVerification Verify(IEnumerable<AuditEvent> events, AuditEvent? predecessor)
    {
        var run = new ChainRun(predecessor, int.MaxValue);
        foreach (var e in events) run.Check(e);
        return run.Result;
    }
}

/// <summary>
/// A verification fed one event at a time, so a long chain is checked page by page in bounded memory: it keeps only
/// the previous event and at most <c>maxBreaks</c> breaks (<see cref="BreaksFound"/> counts them all).
/// </summary>
public sealed class ChainRun(AuditEvent? predecessor, int maxBreaks)
{
    private readonly List<ChainBreak> _breaks = [];
    private AuditEvent? _previous = predecessor;

    public int EventsChecked { get; private set; }
    public int BreaksFound { get; private set; }
    public ChainVerification Result => new(BreaksFound == 0, EventsChecked, _breaks);

    public void Check(AuditEvent e)
    {
        EventsChecked++;
        var recomputed = EventHashing.ComputeHash(e);
        if (!string.Equals(recomputed, e.EventHash, StringComparison.Ordinal))
            Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.HashMismatch, recomputed, e.EventHash));

        // The first event of a chain links to nothing; every other one links to its predecessor's
        // stored hash and follows its sequence number without a gap.
        var expectedPrevious = _previous?.EventHash;
        var expectedSequence = _previous is null ? 1 : _previous.Sequence + 1;
        var linkHolds = string.Equals(expectedPrevious, e.PreviousEventHash, StringComparison.Ordinal)
            && e.Sequence == expectedSequence;
        if (!linkHolds)
            Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.ChainBreak, expectedPrevious, e.PreviousEventHash));
        _previous = e;
    }

    private void Add(ChainBreak b)
    {
        BreaksFound++;
        if (_breaks.Count < maxBreaks) _breaks.Add(b);
    }
}
