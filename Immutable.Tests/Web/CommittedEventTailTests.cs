using Immutable.Domain.Events;
using Immutable.Web.Storage;
using Microsoft.Extensions.Options;

namespace Immutable.Tests.Web;

/// <summary>The chain writer's memory of its newest commits: a read is either the exact run after a sequence, or a miss.</summary>
public class CommittedEventTailTests
{
    private static CommittedEventTail Tail(int capacity = 100) => new(Options.Create(new StorageOptions { CommittedTailEvents = capacity }));

    private static AuditEvent Event(string ws, long sequence) => new()
    {
        Content = new EventContent { Id = Guid.NewGuid(), ActorId = "u", Action = "a.b" },
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
}
