using Immutable.Web.Alerts;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Monitors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Delivery.Live;

/// <summary>What connected clients receive.</summary>
public interface IAlertsClient
{
    Task AlertRaised(AlertJson alert);
    Task AlertChanged(AlertJson alert);
    Task ObservationCreated(ObservationJson observation);
}

/// <summary>
/// /hubs/alerts: live alerts and observations for API-key clients of one workspace. A connection joins only its
/// own workspace's group, so nothing of another workspace can reach it.
/// </summary>
/// A connection lives only as long as its key: <see cref="LiveSessions"/> aborts it when the key is revoked.
[Authorize(Policy = AuthExtensions.ApiKeyPolicy)]
public sealed class AlertsHub(LiveSessions sessions) : Hub<IAlertsClient>
{
    public static string Group(string workspaceId) => "ws:" + workspaceId;

    public override async Task OnConnectedAsync()
    {
        sessions.AddHubConnection(Context, Context.User!.FindFirst(ApiKeyAuthenticationHandler.KeyPrefixClaim)!.Value);
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(Context.User!.WorkspaceId()));
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        sessions.RemoveHubConnection(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// Live push to API-key clients, subscribed to the domain events: committed and changed alerts and new observations go
/// to the hub's clients of their workspace, one event at a time, in commit order. A slow client delays only this
/// subscriber, not the dashboard's <see cref="LiveNotifier"/>. With several instances: with the Redis backplane an
/// event is pushed once, by the instance that published it (the backplane reaches the clients of every instance);
/// without it, each instance pushes what it hears from its peers to its own clients.
/// </summary>
public sealed class AlertsHubPush(IHubContext<AlertsHub, IAlertsClient> hub, IOptions<RedisSettings> redis) : IDomainEventSubscriber
{
    public bool ReceivesFromPeers(DomainEvent domainEvent) => !redis.Value.Configured;

    public async ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        switch (domainEvent)
        {
            case AlertsCommitted committed:
                var group = hub.Clients.Group(AlertsHub.Group(committed.WorkspaceId));
                foreach (var a in committed.Created) await group.AlertRaised(a);
                foreach (var a in committed.Changed) await group.AlertChanged(a);
                break;
            case AlertChanged changed:
                await hub.Clients.Group(AlertsHub.Group(changed.WorkspaceId)).AlertChanged(changed.Alert);
                break;
            case ObservationsCommitted observations:
                foreach (var o in observations.Created) await hub.Clients.Group(AlertsHub.Group(observations.WorkspaceId)).ObservationCreated(o);
                break;
        }
    }
}

/// <summary>
/// The dashboard's in-process notifier, subscribed to the domain events: the app's own Blazor pages listen to these
/// C# events (no SignalR round trip), raised one at a time in commit order.
/// </summary>
public sealed class LiveNotifier : IDomainEventSubscriber
{
    public event Action<string, AlertJson>? AlertRaised;
    public event Action<string, AlertJson>? AlertChanged;
    public event Action<string, ObservationJson>? ObservationCreated;
    /// <summary>Incidents (by id) were created or changed in a workspace; pages read them back.</summary>
    public event Action<string, IReadOnlyList<string>>? IncidentsChanged;

    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        switch (domainEvent)
        {
            case AlertsCommitted committed:
                foreach (var a in committed.Created) AlertRaised?.Invoke(committed.WorkspaceId, a);
                foreach (var a in committed.Changed) AlertChanged?.Invoke(committed.WorkspaceId, a);
                break;
            case Immutable.Web.DomainEvents.AlertChanged changed:
                AlertChanged?.Invoke(changed.WorkspaceId, changed.Alert);
                break;
            case ObservationsCommitted observations:
                foreach (var o in observations.Created) ObservationCreated?.Invoke(observations.WorkspaceId, o);
                break;
            case Immutable.Web.DomainEvents.IncidentsChanged incidents:
                IncidentsChanged?.Invoke(incidents.WorkspaceId, incidents.IncidentIds);
                break;
        }
        return ValueTask.CompletedTask;
    }
}
