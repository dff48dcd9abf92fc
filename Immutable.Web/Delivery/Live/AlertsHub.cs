using Immutable.Web.Alerts;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Monitors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

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
/// Live push, subscribed to the domain events: committed and changed alerts and new observations go to the hub's
/// clients of their workspace and, as C# events, to the app's own Blazor pages (which need no SignalR round trip).
/// One event at a time, in commit order.
/// </summary>
public sealed class LiveNotifier(IHubContext<AlertsHub, IAlertsClient> hub) : IDomainEventSubscriber
{
    public event Action<string, AlertJson>? AlertRaised;
    public event Action<string, AlertJson>? AlertChanged;
    public event Action<string, ObservationJson>? ObservationCreated;

    public async ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        switch (domainEvent)
        {
            case AlertsCommitted committed:
                var group = hub.Clients.Group(AlertsHub.Group(committed.WorkspaceId));
                foreach (var a in committed.Created)
                {
                    AlertRaised?.Invoke(committed.WorkspaceId, a);
                    await group.AlertRaised(a);
                }
                foreach (var a in committed.Changed)
                {
                    AlertChanged?.Invoke(committed.WorkspaceId, a);
                    await group.AlertChanged(a);
                }
                break;
            case Immutable.Web.DomainEvents.AlertChanged changed:
                AlertChanged?.Invoke(changed.WorkspaceId, changed.Alert);
                await hub.Clients.Group(AlertsHub.Group(changed.WorkspaceId)).AlertChanged(changed.Alert);
                break;
            case ObservationsCommitted observations:
                foreach (var o in observations.Created)
                {
                    ObservationCreated?.Invoke(observations.WorkspaceId, o);
                    await hub.Clients.Group(AlertsHub.Group(observations.WorkspaceId)).ObservationCreated(o);
                }
                break;
        }
    }
}
