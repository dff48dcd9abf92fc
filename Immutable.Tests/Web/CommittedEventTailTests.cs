using Immutable.Domain.Events;
using Immutable.Web.Storage;
using Microsoft.Extensions.Options;

namespace Immutable.Tests.Web;

/// <summary>The chain writer's memory of its newest commits: a read is either the exact run after a sequence, or a miss.</summary>
public class CommittedEventTailTests
{
    private static CommittedEventTail Tail(int capacity = 100, long bytes = 64L * 1024 * 1024) =>
        new(Options.Create(new StorageOptions { CommittedTailEvents = capacity, CommittedTailBytes = bytes }));

    private static AuditEvent Event(string ws, long sequence, string? metadata = null) => new()
    {
        Content = new EventContent { Id = Guid.NewGuid(), ActorId = "u", Action = "a.b", MetadataJson = metadata },
        WorkspaceId = ws,
        Sequence = sequence,
        OccurredAt = DateTime.UnixEpoch,
        CreatedAt = DateTime.UnixEpoch,
        EventHash = "h",
    };

    private static IEnumerable<AuditEvent> Run(string ws, long from, long to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(s => Event(ws, s));

    /// <summary>The sequences read, as "4,5,6", or "miss".</summary>
    private static string Read(CommittedEventTail tail, string ws, long after, int max = 1000) =>
        tail.TryRead(ws, after, max) is { } events ? string.Join(',', events.Select(e => e.Sequence)) : "miss";

    [Fact]
    public void TryRead_RightBehind_ReturnsTheRunAfterTheCheckpoint_UpToMax()
    {
        var tail = Tail();
        tail.Add(Run("a", 1, 10));
        Assert.Equal("4,5,6,7,8,9,10", Read(tail, "a", 3));
        Assert.Equal("1,2", Read(tail, "a", 0, max: 2));
        Assert.Equal("10", Read(tail, "a", 9));
    }

    [Fact]
    public void TryRead_NothingNewer_OrOlderThanKept_OrUnknownWorkspace_IsAMiss()
    {
        var tail = Tail();
        tail.Add(Run("a", 5, 10));
        Assert.Equal("miss", Read(tail, "a", 10)); // "nothing newer" is for the store to say
        Assert.Equal("miss", Read(tail, "a", 3));  // 4 is not kept
        Assert.Equal("5,6,7,8,9,10", Read(tail, "a", 4));
        Assert.Equal("miss", Read(tail, "b", 0));
    }

    [Fact]
    public void Add_ARunThatSkipsSequences_DropsWhatCameBefore()
    {
        // Another process wrote 11..14: what this one kept no longer continues into what it adds.
        var tail = Tail();
        tail.Add(Run("a", 1, 10));
        tail.Add(Run("a", 15, 16));
        Assert.Equal("miss", Read(tail, "a", 5));
        Assert.Equal("miss", Read(tail, "a", 10));
        Assert.Equal("15,16", Read(tail, "a", 14));
    }

    [Fact]
    public void Add_OverCapacity_EvictsTheOldestAcrossWorkspaces()
    {
        var tail = Tail(capacity: 6);
        tail.Add(Run("a", 1, 4));
        tail.Add(Run("b", 1, 2));
        tail.Add(Run("b", 3, 4)); // 8 kept → the two oldest (a:1, a:2) go
        Assert.Equal("miss", Read(tail, "a", 0));
        Assert.Equal("3,4", Read(tail, "a", 2));
        Assert.Equal("1,2,3,4", Read(tail, "b", 0));
    }

    [Fact]
    public void ZeroCapacity_KeepsNothing()
    {
        var off = Tail(capacity: 0);
        off.Add(Run("a", 1, 3));
        Assert.Equal("miss", Read(off, "a", 0));
    }

    [Fact]
    public void Add_ARestartedRun_IsNotEvictedInPlaceOfTheEventsItReplaced()
    {
        // Capacity 3: 1,2,3 kept; another writer commits 4; 5 restarts the run. The stale eviction entries of 1..3 must
        // not take 5 with them.
        var tail = Tail(capacity: 3);
        tail.Add(Run("w", 1, 3));
        tail.Add(Run("w", 5, 5));
        Assert.Equal("5", Read(tail, "w", 4));
        tail.Add(Run("w", 6, 8)); // 4 kept now → the oldest (5) goes
        Assert.Equal("miss", Read(tail, "w", 4));
        Assert.Equal("6,7,8", Read(tail, "w", 5));
    }

    [Fact]
    public void Add_OverTheByteBudget_KeepsFewerBigEvents()
    {
        var big = new string('x', 40_000); // ~80 KB in memory each
        var tail = Tail(capacity: 1000, bytes: 500_000);
        tail.Add(Enumerable.Range(1, 20).Select(s => Event("w", s, big)));
        var kept = Read(tail, "w", 14);
        Assert.Equal("15,16,17,18,19,20", kept);
        Assert.Equal("miss", Read(tail, "w", 13));
        Assert.True(CommittedEventTail.EstimateBytes(Event("w", 1, big)) > 80_000);
    }

    [Fact]
    public void ForgetThrough_DropsWhatRetentionDeleted_KeepsTheRest()
    {
        var tail = Tail();
        tail.Add(Run("w", 1, 10));
        tail.ForgetThrough("w", 6);
        Assert.Equal("miss", Read(tail, "w", 2));
        Assert.Equal("7,8,9,10", Read(tail, "w", 6));
    }
}
