using Immutable.Domain.Events;

namespace Immutable.Domain.Chain;

public enum ChainBreakType
{
    /// <summary>The stored hash is not the hash of the stored content: a field was edited.</summary>
    HashMismatch,
    /// <summary>The link to the previous event does not hold: an event was removed, inserted or moved.</summary>
    ChainBreak,
    /// <summary>The chain ends before a signed checkpoint or anchor says it reached: the tail (or everything) was deleted.</summary>
    Truncated,
    /// <summary>The stored events of a signed checkpoint's range do not give its Merkle root or head: a rewrite with recomputed hashes.</summary>
    CheckpointMismatch,
    /// <summary>The stored events of an anchor's range do not give its Merkle root, first or last hash.</summary>
    AnchorMismatch,
    /// <summary>A checkpoint or anchor whose signature does not verify with any trusted public key: forged or altered.</summary>
    BadSignature,
    /// <summary>A derived row (the targets index) disagrees with the hashed targets of its event.</summary>
    TargetsMismatch,
    /// <summary>A stored id or time is not in the canonical form the hash was computed over (it would hash the same but read differently).</summary>
    NonCanonical,
}

/// <param name="EventId">The event the break is at; null when the event is missing (truncation) or the break is a statement's.</param>
/// <param name="ExpectedHash">What the chain or a signed statement says the value should be.</param>
/// <param name="ActualHash">What is stored (or recomputed from what is stored).</param>
/// <param name="Detail">One sentence for people, naming the checkpoint, anchor or field.</param>
public sealed record ChainBreak(Guid? EventId, long Sequence, ChainBreakType Type, string? ExpectedHash, string? ActualHash, string? Detail = null);

public sealed record ChainVerification(bool Valid, int EventsChecked, IReadOnlyList<ChainBreak> Breaks);

/// <summary>
/// A signed claim about a range of the chain that verification holds the stored events to: a checkpoint
/// (<see cref="FirstHash"/> null) or an anchor.
/// </summary>
public sealed record Commitment(string Label, ChainBreakType MismatchType, long FirstSequence, long LastSequence, string? FirstHash, string LastHash, string MerkleRoot)
{
    public static Commitment Of(Checkpoint c) =>
        new($"checkpoint at sequence {c.Sequence}", ChainBreakType.CheckpointMismatch, c.FirstSequence, c.Sequence, null, c.HeadHash, c.MerkleRoot);

    public static Commitment Of(Anchor a) =>
        new($"anchor {a.Id}", ChainBreakType.AnchorMismatch, a.FirstSequence, a.LastSequence, a.FirstEventHash, a.LastEventHash, a.MerkleRoot);
}

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
/// the previous event, the open commitments (each with an O(log n) Merkle builder) and at most <c>maxBreaks</c> breaks
/// (<see cref="BreaksFound"/> counts them all).
/// </summary>
public sealed class ChainRun(AuditEvent? predecessor, int maxBreaks)
{
    private readonly List<ChainBreak> _breaks = [];
    private readonly List<OpenCommitment> _open = [];
    private readonly SortedList<long, List<Commitment>> _pending = [];
    private AuditEvent? _previous = predecessor;
    private long? _firstChecked;

    public int EventsChecked { get; private set; }
    public int BreaksFound { get; private set; }
    public long? LastSequence => _previous?.Sequence;
    public ChainVerification Result => new(BreaksFound == 0, EventsChecked, _breaks);

    /// <summary>
    /// Holds the run to a signed commitment. One that starts before the first event this run checks cannot be
    /// recomputed from this run and is ignored.
    /// </summary>
    public void Expect(Commitment c)
    {
        if (c.LastSequence < c.FirstSequence) return;
        if (_firstChecked is { } first && c.FirstSequence < first) return;
        if (_previous is { } prev && c.FirstSequence <= prev.Sequence) return;
        if (!_pending.TryGetValue(c.FirstSequence, out var list)) _pending[c.FirstSequence] = list = [];
        list.Add(c);
    }

    public void Check(AuditEvent e)
    {
        EventsChecked++;
        _firstChecked ??= e.Sequence;
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

        Advance(e);
    }

    /// <summary>A break found outside the event stream (a bad signature, a derived row, a non-canonical value).</summary>
    public void Report(ChainBreak b) => Add(b);

    /// <summary>
    /// Ends the run. When it reached the stored chain's end, every commitment not yet met reaches past the stored
    /// events: the tail was deleted.
    /// </summary>
    /// <param name="storedHeadNow">The head stored when the run ends, if the store was re-read: commitments up to it
    /// cover events committed after the run read its last page, not a truncation.</param>
    public void Finish(bool reachedEnd, long? storedHeadNow = null)
    {
        if (!reachedEnd) return;
        var storedHead = _previous?.Sequence ?? 0;
        var limit = Math.Max(storedHead, storedHeadNow ?? storedHead);
        foreach (var open in _open.Where(o => o.Commitment.LastSequence > limit)) Truncated(open.Commitment, storedHead);
        foreach (var list in _pending.Values)
            foreach (var c in list.Where(c => c.LastSequence > limit)) Truncated(c, storedHead);
        _open.Clear();
        _pending.Clear();
    }

    /// <summary>True when a break of this type at this sequence was already reported (a witness repeating the database).</summary>
    public bool HasBreak(ChainBreakType type, long sequence) => _breaks.Any(b => b.Type == type && b.Sequence == sequence);

    private void Truncated(Commitment c, long storedHead) =>
        Add(new ChainBreak(null, c.LastSequence, ChainBreakType.Truncated, c.LastHash, storedHead == 0 ? null : _previous?.EventHash,
            $"The {c.Label} covers events up to sequence {c.LastSequence}, but the stored chain ends at {storedHead}."));

    private void Advance(AuditEvent e)
    {
        while (_pending.Count > 0 && _pending.Keys[0] <= e.Sequence)
        {
            var start = _pending.Keys[0];
            foreach (var c in _pending.Values[0])
            {
                if (start < e.Sequence)
                    Add(new ChainBreak(e.Id, c.FirstSequence, c.MismatchType, c.FirstHash, null, $"The {c.Label} starts at sequence {c.FirstSequence}, which is not stored."));
                else
                    _open.Add(new OpenCommitment(c, e.EventHash));
            }
            _pending.RemoveAt(0);
        }

        for (var i = _open.Count - 1; i >= 0; i--)
        {
            var open = _open[i];
            open.Root.Add(e.EventHash);
            if (e.Sequence < open.Commitment.LastSequence) continue;
            _open.RemoveAt(i);
            var c = open.Commitment;
            if (e.Sequence > c.LastSequence)
            {
                Add(new ChainBreak(e.Id, c.LastSequence, c.MismatchType, c.LastHash, null, $"The {c.Label} ends at sequence {c.LastSequence}, which is not stored."));
                continue;
            }
            var root = open.Root.RootHex();
            if (!string.Equals(root, c.MerkleRoot, StringComparison.Ordinal))
                Add(new ChainBreak(e.Id, c.LastSequence, c.MismatchType, c.MerkleRoot, root, $"The Merkle root of sequences {c.FirstSequence}–{c.LastSequence} differs from the {c.Label}."));
            else if (!string.Equals(e.EventHash, c.LastHash, StringComparison.Ordinal))
                Add(new ChainBreak(e.Id, c.LastSequence, c.MismatchType, c.LastHash, e.EventHash, $"The hash of event {c.LastSequence} differs from the {c.Label}."));
            else if (c.FirstHash is not null && !string.Equals(open.FirstHash, c.FirstHash, StringComparison.Ordinal))
                Add(new ChainBreak(e.Id, c.FirstSequence, c.MismatchType, c.FirstHash, open.FirstHash, $"The hash of event {c.FirstSequence} differs from the {c.Label}."));
        }
    }

    private void Add(ChainBreak b)
    {
        BreaksFound++;
        if (_breaks.Count < maxBreaks) _breaks.Add(b);
    }

    private sealed class OpenCommitment(Commitment commitment, string firstHash)
    {
        public Commitment Commitment { get; } = commitment;
        public string FirstHash { get; } = firstHash;
        public MerkleRootBuilder Root { get; } = new();
    }
}
