using Immutable.Web.Alerts;
using Immutable.Web.Auth;
using Immutable.Web.Detection;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
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
/// The in-process notifier: turns committed alerts/observations into hub messages and C# events (for the app's own
/// Blazor pages, which need no SignalR round trip).
/// </summary>
public sealed class LiveNotifier(IHubContext<AlertsHub, IAlertsClient> hub, IOptions<QueryActivityOptions> monitors, ILogger<LiveNotifier> logger)
{
    public event Action<string, AlertJson>? AlertRaised;
    public event Action<string, AlertJson>? AlertChanged;
    public event Action<string, ObservationJson>? ObservationCreated;

    public void Attach(StreamEvaluator detection, ScheduledRuleEvaluator scheduled, MonitorEvaluator evaluator)
    {
        detection.AlertsCommitted += OnAlerts;
        scheduled.AlertsCommitted += OnAlerts;
        evaluator.ObservationsCommitted += OnObservations;
    }

    public void OnAlerts(string workspaceId, IReadOnlyList<AlertRecord> created, IReadOnlyList<AlertRecord> changed) =>
        Fire(async () =>
        {
            var group = hub.Clients.Group(AlertsHub.Group(workspaceId));
            foreach (var a in created.Select(AlertJson.From))
            {
                AlertRaised?.Invoke(workspaceId, a);
                await group.AlertRaised(a);
            }
            foreach (var a in changed.Where(c => !created.Contains(c)).Select(AlertJson.From))
            {
                AlertChanged?.Invoke(workspaceId, a);
                await group.AlertChanged(a);
            }
        });

    public void OnObservations(string workspaceId, IReadOnlyList<ObservationRecord> created) =>
        Fire(async () =>
        {
            foreach (var o in created.Select(o => ObservationJson.From(o, monitors.Value.DashboardUrl)))
            {
                ObservationCreated?.Invoke(workspaceId, o);
                await hub.Clients.Group(AlertsHub.Group(workspaceId)).ObservationCreated(o);
            }
        });

    /// <summary>Live push is best effort and must never fail the commit that triggered it.</summary>
    private void Fire(Func<Task> send) => _ = Task.Run(async () =>
    {
        try { await send(); }
        catch (Exception ex) { logger.LogWarning(ex, "Live push failed"); }
    });
}
