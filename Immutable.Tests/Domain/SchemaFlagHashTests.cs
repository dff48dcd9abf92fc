using Immutable.Domain.Chain;
using Immutable.Domain.Events;

namespace Immutable.Tests.Domain;

/// <summary>The schema-violation flag in the canonical encoding (docs/hash-chain.md): present only when set.</summary>
public sealed class SchemaFlagHashTests
{
    private static AuditEvent Event(bool flagged) => new()
    {
        Content = new EventContent { Id = Guid.Parse("7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b"), ActorId = "u", Action = "billing.paid", SchemaViolation = flagged },
        WorkspaceId = "ws_demo",
        Sequence = 1,
        OccurredAt = new DateTime(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc),
        CreatedAt = new DateTime(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc),
        EventHash = "",
    };

    [Fact]
    public void CanonicalText_Unflagged_HasNoFlagMember_SoEarlierEventsKeepTheirHashes()
    {
        var text = EventHashing.CanonicalText(Event(flagged: false));
        Assert.DoesNotContain("schema_violation", text);
        Assert.Contains("\"resource_name\":null,\"sequence\":1", text);
    }

    [Fact]
    public void CanonicalText_Flagged_HasTheMemberInSortedPlace_AndAnotherHash()
    {
        var text = EventHashing.CanonicalText(Event(flagged: true));
        Assert.Contains("\"resource_name\":null,\"schema_violation\":true,\"sequence\":1", text);
        Assert.NotEqual(EventHashing.ComputeHash(Event(false)), EventHashing.ComputeHash(Event(true)));
    }

    [Theory]
    [InlineData(SchemaMode.Strict, "billing.paid", SchemaVerdict.Rejected)]
    [InlineData(SchemaMode.Permissive, "billing.paid", SchemaVerdict.Flagged)]
    [InlineData(SchemaMode.Strict, "document.created", SchemaVerdict.Accepted)]
    [InlineData(SchemaMode.Strict, "document.archive.restored", SchemaVerdict.Accepted)]
    [InlineData(SchemaMode.Strict, "auth.login", SchemaVerdict.Accepted)]
    [InlineData(SchemaMode.Strict, "auth.logout", SchemaVerdict.Rejected)]
    public void EventSchema_Check(SchemaMode mode, string action, SchemaVerdict expected) =>
        Assert.Equal(expected, new EventSchema(mode, ["document.*", "auth.login"]).Check(action));

    [Fact]
    public void EventSchema_NoPatterns_AcceptsAll() =>
        Assert.Equal(SchemaVerdict.Accepted, EventSchema.None.Check("anything"));
}
