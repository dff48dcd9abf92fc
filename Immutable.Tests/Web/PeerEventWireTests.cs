using System.Text;
using Immutable.Tests.TestSupport;
using Immutable.Web.Alerts;
using Immutable.Web.DomainEvents;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>
/// What a domain event looks like between instances (<see cref="PeerEventWire"/>), over a real store: events of ids
/// come back equal, findings come back read from the store, long lists are cut under NOTIFY's limit, and messages
/// are marked with their origin.
/// </summary>
[Trait("Postgres", "run")]
public sealed class PeerEventWireTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private long _number;

    private List<string> Encode(DomainEvent domainEvent) => PeerEventWire.Encode("origin-a", () => ++_number, domainEvent).ToList();

    private static string Json(AlertJson alert) => System.Text.Json.JsonSerializer.Serialize(alert);

    private PeerEventWire Wire => ActivatorUtilities.CreateInstance<PeerEventWire>(_app.Services);

    [Fact]
    public async Task EventsOfIds_RoundTrip_MarkedWithTheirOrigin()
    {
        DomainEvent[] events =
        [
            new RuleChanged("ws_1", "rul_1"), new MonitorChanged("ws_1", "mon_1"), new KeyRevoked("imk_AbCdEfGh"),
            new MemberAccessChanged("ws_1"), new WorkspaceSettingsChanged("ws_1"), new LogStreamChanged("ws_1", "lst_1"),
            new DeliveriesEnqueued("ws_1"), new AnchorCreated("ws_1", "anc_1"),
        ];
        foreach (var domainEvent in events)
        {
            var message = Assert.Single(Encode(domainEvent));
            Assert.Equal("origin-a", PeerEventWire.OriginOf(message));
            Assert.Equal(domainEvent, await Wire.DecodeAsync(message, CancellationToken.None));
        }
        var appended = Assert.IsType<EventsAppended>(await Wire.DecodeAsync(Assert.Single(Encode(new EventsAppended(["ws_1", "ws_2"]))), CancellationToken.None));
        Assert.Equal(["ws_1", "ws_2"], appended.WorkspaceIds);
        // Local by nature; garbage and unknown types are ignored, not thrown.
        Assert.False(PeerEventWire.Crosses(new PeerEventsMissed()));
        Assert.Null(await Wire.DecodeAsync("origin-b|not json", CancellationToken.None));
        Assert.Null(await Wire.DecodeAsync("origin-b|{\"n\":1,\"t\":\"FromANewerVersion\",\"b\":{}}", CancellationToken.None));
    }

    [Fact]
    public async Task ManyWorkspaces_CutIntoMessagesUnderTheNotifyLimit_NoneLost()
    {
        var workspaces = Enumerable.Range(0, 1000).Select(i => $"ws_{Guid.NewGuid():N}_{i}").ToList();
        var messages = Encode(new EventsAppended(workspaces));
        Assert.True(messages.Count >= 10);
        Assert.All(messages, m => Assert.True(Encoding.UTF8.GetByteCount(m) <= PeerEventWire.MaxPayloadBytes));
        var decoded = new List<string>();
        foreach (var m in messages) decoded.AddRange(Assert.IsType<EventsAppended>(await Wire.DecodeAsync(m, CancellationToken.None)).WorkspaceIds);
        Assert.Equal(workspaces, decoded);
    }

    [Fact]
    public async Task Alerts_CrossAsReferences_AndComeBackAsStored()
    {
        var key = await _app.CreateKeyAsync("acme");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
        var id = (await client.WaitForAlertsAsync("actor_id=jordan", 1))[0]!["id"]!.GetValue<string>();
        var stored = (await _app.Services.GetRequiredService<TriageService>().AcknowledgeAlertAsync(
            new Immutable.Web.Auth.WorkspacePrincipal(key.WorkspaceId, new Immutable.Web.Audit.AuditActor("user:ana@example.com", "Ana", "user"), Immutable.Web.Accounts.Roles.Owner), id, null)).Value!;

        var message = Assert.Single(Encode(new AlertsCommitted(key.WorkspaceId, [stored], [])));
        Assert.DoesNotContain("Bucharest", message, StringComparison.Ordinal); // ids only, whatever the alert holds
        var committed = Assert.IsType<AlertsCommitted>(await Wire.DecodeAsync(message, CancellationToken.None));
        Assert.Equal("acknowledged", Assert.Single(committed.Created).Status);
        Assert.Equal(Json(stored), Json(committed.Created[0])); // as the API shows it

        var changed = Assert.IsType<AlertChanged>(await Wire.DecodeAsync(Assert.Single(Encode(new AlertChanged(key.WorkspaceId, stored))), CancellationToken.None));
        Assert.Equal(stored.Id, changed.Alert.Id);
        // Another workspace's id is never read back into this one.
        Assert.Null(await Wire.DecodeAsync(Assert.Single(Encode(new AlertChanged("ws_other", stored))), CancellationToken.None));
    }
}
