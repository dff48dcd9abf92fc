using System.Security.Cryptography;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;

namespace Immutable.Tests.Domain;

/// <summary>The worked example of docs/hash-chain.md: if this changes, the document (and every verifier) must too.</summary>
public class WorkedExampleTests
{
    public static AuditEvent Example() => new AuditEvent
    {
        Content = new EventContent
        {
            Id = Guid.Parse("7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b"),
            ActorId = "user_5a3c8f",
            ActorName = "Jordan Lee",
            ActorType = "user",
            Action = "auth.login",
            Targets = [new EventTarget("account", "acc_1", null, null)],
            MetadataJson = """{"method":"password","mfa":true}""",
            SessionId = "sess_42",
            IpAddress = "81.2.69.142",
            Geo = new GeoLocation("GB", "Gamlingay", 52.1398, -0.2399, 100, "Europe/London"),
            UserAgent = "Mozilla/5.0",
        },
        WorkspaceId = "ws_demo",
        Sequence = 1,
        OccurredAt = new DateTime(2026, 3, 27, 14, 32, 18, DateTimeKind.Utc).AddTicks(2910340),
        CreatedAt = new DateTime(2026, 3, 27, 14, 32, 18, DateTimeKind.Utc).AddTicks(3050000),
        PreviousEventHash = null,
        EventHash = "",
    };

    public const string ExpectedCanonicalText =
        """{"action":"auth.login","action_category":null,"actor_id":"user_5a3c8f","actor_name":"Jordan Lee","actor_type":"user","created_at":"2026-03-27T14:32:18.305000Z","geo":{"accuracy_radius_km":100,"city":"Gamlingay","country":"GB","latitude":52.1398,"longitude":-0.2399,"time_zone":"Europe/London"},"id":"7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b","idempotency_key":null,"ip_address":"81.2.69.142","metadata":{"method":"password","mfa":true},"occurred_at":"2026-03-27T14:32:18.291034Z","previous_event_hash":null,"resource":null,"resource_id":null,"resource_name":null,"sequence":1,"session_id":"sess_42","targets":[{"id":"acc_1","metadata":null,"name":null,"type":"account"}],"tenant_id":null,"user_agent":"Mozilla/5.0","v":1,"version":null,"workspace_id":"ws_demo"}""";

    public const string ExpectedHash = "8bcf3a9c187e8d48b301899068e4372e25ff0dcfc9ab0a49f8ea9c7597edccc2";

    [Fact]
    public void WorkedExample_CanonicalTextAndHash_MatchTheDocumentation()
    {
        var text = EventHashing.CanonicalText(Example());
        Assert.Equal(ExpectedCanonicalText, text);
        Assert.Equal(ExpectedHash, EventHashing.ComputeHash(Example()));
        // Anyone can recompute it: plain SHA-256 of the UTF-8 text, lowercase hex.
        Assert.Equal(ExpectedHash, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ExpectedCanonicalText))));
    }
}
