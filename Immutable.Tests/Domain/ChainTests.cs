using Immutable.Domain.Chain;
using Immutable.Domain.Events;

namespace Immutable.Tests.Domain;

public class ChainTests
{
    private static readonly DateTime T0 = new(2026, 3, 27, 14, 32, 18, 291, DateTimeKind.Utc);

    internal static AuditEvent Link(AuditEvent? previous, string actor = "user_1", int n = 1)
    {
        var e = new AuditEvent
        {
            Content = new EventContent
            {
                Id = Guid.Parse($"00000000-0000-4000-8000-{n:000000000000}"),
                ActorId = actor,
                Action = "auth.login",
                MetadataJson = """{"attempt":1}""",
                IpAddress = "81.2.69.142",
                Geo = new GeoLocation("GB", "London", 51.5142, -0.0931, 10, "Europe/London"),
            },
            WorkspaceId = "ws_test",
            Sequence = (previous?.Sequence ?? 0) + 1,
            OccurredAt = T0.AddSeconds(n),
            CreatedAt = T0.AddSeconds(n),
            PreviousEventHash = previous?.EventHash,
            EventHash = "",
        };
        return e with { EventHash = EventHashing.ComputeHash(e) };
    }

    private static List<AuditEvent> Chain(int count)
    {
        var list = new List<AuditEvent>();
        for (var i = 1; i <= count; i++) list.Add(Link(list.LastOrDefault(), n: i));
        return list;
    }

    [Fact]
    public void CanonicalText_ListsEveryFieldInSortedOrder()
    {
        var text = EventHashing.CanonicalText(Link(null));
        Assert.StartsWith("""{"action":"auth.login","action_category":null,"actor_id":"user_1",""", text);
        Assert.Contains(""","geo":{"accuracy_radius_km":10,"city":"London","country":"GB","latitude":51.5142,"longitude":-0.0931,"time_zone":"Europe/London"},""", text);
        Assert.Contains(""","metadata":{"attempt":1},""", text);
        Assert.EndsWith(""","targets":[],"tenant_id":null,"user_agent":null,"v":1,"version":null,"workspace_id":"ws_test"}""", text);
    }

    [Fact]
    public void ComputeHash_ChangesWithEveryStoredField()
    {
        var e = Link(null);
        var variants = new[]
        {
            e with { Content = e.Content with { ActorName = "x" } },
            e with { Content = e.Content with { Geo = e.Content.Geo with { City = "Paris" } } },
            e with { Content = e.Content with { MetadataJson = """{"attempt":2}""" } },
            e with { Content = e.Content with { Targets = [new EventTarget("doc", "1", null, null)] } },
            e with { CreatedAt = e.CreatedAt.AddTicks(10) },
            e with { Sequence = 2 },
            e with { WorkspaceId = "ws_other" },
            e with { PreviousEventHash = new string('0', 64) },
        };
        var original = EventHashing.ComputeHash(e);
        Assert.All(variants, v => Assert.NotEqual(original, EventHashing.ComputeHash(v)));
    }

    [Fact]
    public void Verify_UntouchedChain_IsValid()
    {
        var result = ChainVerifier.Verify(Chain(5), predecessor: null);
        Assert.True(result.Valid);
        Assert.Equal(5, result.EventsChecked);
    }

    [Fact]
    public void Verify_EditedField_ReportsHashMismatchAtThatEvent()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Content = chain[2].Content with { ActorId = "mallory" } };
        var result = ChainVerifier.Verify(chain, null);
        var only = Assert.Single(result.Breaks);
        Assert.Equal((chain[2].Id, ChainBreakType.HashMismatch, chain[2].EventHash), (only.EventId, only.Type, only.ActualHash));
    }

    [Fact]
    public void Verify_DeletedEvent_ReportsChainBreakAtTheNextOne()
    {
        var chain = Chain(5);
        var deleted = chain[2];
        chain.RemoveAt(2);
        var only = Assert.Single(ChainVerifier.Verify(chain, null).Breaks);
        Assert.Equal((chain[2].Id, ChainBreakType.ChainBreak, chain[1].EventHash, deleted.EventHash),
            (only.EventId, only.Type, only.ExpectedHash, only.ActualHash));
    }

    [Fact]
    public void Verify_FirstEventDeleted_IsABreak()
    {
        var chain = Chain(3);
        chain.RemoveAt(0);
        var result = ChainVerifier.Verify(chain, null);
        Assert.Equal(ChainBreakType.ChainBreak, Assert.Single(result.Breaks).Type);
    }

    [Fact]
    public void Verify_SwappedEvents_AreBreaks()
    {
        var chain = Chain(4);
        (chain[1], chain[2]) = (chain[2], chain[1]);
        var result = ChainVerifier.Verify(chain, null);
        Assert.False(result.Valid);
        Assert.All(result.Breaks, b => Assert.Equal(ChainBreakType.ChainBreak, b.Type));
    }

    [Fact]
    public void Verify_RunAfterAPredecessor_ChecksTheFirstLink()
    {
        var chain = Chain(4);
        Assert.True(ChainVerifier.Verify(chain.Skip(2), chain[1]).Valid);
        Assert.False(ChainVerifier.Verify(chain.Skip(2), chain[0]).Valid);
    }
}
