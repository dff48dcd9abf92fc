using System.Text.Json.Nodes;
using Immutable.Web.Accounts;
using Immutable.Web.Alerts;
using Immutable.Web.Audit;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Detection;
using Immutable.Web.DomainEvents;
using Immutable.Web.Integrity;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Components.Shared;

/// <summary>
/// Every state change the dashboard makes, each through the HTTP API's own handler (via <see cref="WorkspaceGateway"/>),
/// so a change made in the browser is validated, audited and pushed exactly like one made with an API key.
/// </summary>
public sealed class DashboardActions(WorkspaceGateway gateway)
{
    /// <summary>Analysts triage; configuration changes need admin or owner. Checked here too, not only by hiding buttons.</summary>
    private static readonly GatewayResult Forbidden = new(StatusCodes.Status403Forbidden,
        new JsonObject { ["error"] = "forbidden", ["message"] = "Your role does not allow this change; ask an admin or owner." });

    private static Task<GatewayResult> ConfigureAsync(DashboardUser user, Func<Task<GatewayResult>> change) =>
        user.CanConfigure ? change() : Task.FromResult(Forbidden);

    private static T S<T>(HttpContext http) where T : notnull => http.RequestServices.GetRequiredService<T>();
    private static IDbContextFactory<ImmutableDbContext> Db(HttpContext http) => S<IDbContextFactory<ImmutableDbContext>>(http);
    private static JsonObject Note(string? note) => new() { ["note"] = string.IsNullOrWhiteSpace(note) ? null : note.Trim() };

    public Task<GatewayResult> AcknowledgeAlertAsync(DashboardUser user, string id, string? note) =>
        gateway.InvokeAsync(user, async http => await AlertsApi.AcknowledgeAsync(id, http, Db(http), S<AuditTrail>(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: Note(note));

    public Task<GatewayResult> AcknowledgeObservationAsync(DashboardUser user, string id, string? note) =>
        gateway.InvokeAsync(user, async http => await ObservationsApi.AcknowledgeAsync(id, http, Db(http), S<AuditTrail>(http), S<TimeProvider>(http), S<IOptions<Immutable.Web.Hosting.PublicUrlOptions>>(http), S<IDomainEvents>(http), http.RequestAborted), body: Note(note));

    public Task<GatewayResult> ListRulesAsync(DashboardUser user) =>
        gateway.InvokeAsync(user, async http => await AlertRulesApi.ListAsync(http, Db(http), http.RequestAborted));

    public Task<GatewayResult> GetRuleAsync(DashboardUser user, string id) =>
        gateway.InvokeAsync(user, async http => await AlertRulesApi.GetAsync(id, http, Db(http), http.RequestAborted));

    public Task<GatewayResult> SaveRuleAsync(DashboardUser user, string? id, JsonObject rule) => ConfigureAsync(user, () => id is null
        ? gateway.InvokeAsync(user, async http => await AlertRulesApi.CreateAsync(http, Db(http), S<AuditTrail>(http), S<StreamEvaluator>(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: rule)
        : gateway.InvokeAsync(user, async http => await AlertRulesApi.UpdateAsync(id, http, Db(http), S<AuditTrail>(http), S<StreamEvaluator>(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: rule));

    public Task<GatewayResult> DryRunAsync(DashboardUser user, JsonObject rule) =>
        gateway.InvokeAsync(user, async http => await DryRunApi.TestAsync(http, Db(http), S<Immutable.Web.Storage.IEventCounts>(http), S<TimeProvider>(http), http.RequestAborted), body: new JsonObject { ["rule"] = rule });

    public Task<GatewayResult> ListMonitorsAsync(DashboardUser user) =>
        gateway.InvokeAsync(user, async http => await MonitorsApi.ListAsync(http, Db(http), http.RequestAborted));

    public Task<GatewayResult> GetMonitorAsync(DashboardUser user, string id) =>
        gateway.InvokeAsync(user, async http => await MonitorsApi.GetAsync(id, http, Db(http), http.RequestAborted));

    public Task<GatewayResult> SaveMonitorAsync(DashboardUser user, string? id, JsonObject monitor) => ConfigureAsync(user, () => id is null
        ? gateway.InvokeAsync(user, async http => await MonitorsApi.CreateAsync(http, Db(http), S<AuditTrail>(http), S<MonitorEvaluator>(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: monitor)
        : gateway.InvokeAsync(user, async http => await MonitorsApi.UpdateAsync(id, http, Db(http), S<AuditTrail>(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: monitor));

    public Task<GatewayResult> ListWebhooksAsync(DashboardUser user) =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.ListAsync(http, Db(http), http.RequestAborted));

    public Task<GatewayResult> CreateWebhookAsync(DashboardUser user, JsonObject endpoint) => ConfigureAsync(user, () =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.CreateAsync(http, Db(http), S<WebhookUrlGuard>(http), S<AuditTrail>(http), S<TimeProvider>(http), http.RequestAborted), body: endpoint));

    public Task<GatewayResult> UpdateWebhookAsync(DashboardUser user, string id, JsonObject endpoint) => ConfigureAsync(user, () =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.UpdateAsync(id, http, Db(http), S<WebhookUrlGuard>(http), S<AuditTrail>(http), S<TimeProvider>(http), http.RequestAborted), body: endpoint));

    public Task<GatewayResult> DeleteWebhookAsync(DashboardUser user, string id) => ConfigureAsync(user, () =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.DeleteAsync(id, http, Db(http), S<AuditTrail>(http), http.RequestAborted)));

    public Task<GatewayResult> WebhookDeliveriesAsync(DashboardUser user, string id) =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.DeliveriesAsync(id, http, Db(http), http.RequestAborted), query: "limit=20");

    public Task<GatewayResult> TestWebhookAsync(DashboardUser user, string id) => ConfigureAsync(user, () =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.TestAsync(id, http, Db(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: new JsonObject()));

    public Task<GatewayResult> RedeliverAsync(DashboardUser user, string deliveryId) => ConfigureAsync(user, () =>
        gateway.InvokeAsync(user, async http => await WebhookEndpointsApi.RedeliverAsync(deliveryId, http, Db(http), S<TimeProvider>(http), S<IDomainEvents>(http), http.RequestAborted), body: new JsonObject()));

    /// <summary>Records a dashboard-only change (keys, members, test email) in the workspace's chain.</summary>
    public static Task RecordAsync(AuditTrail audit, DashboardUser user, string action, string resource, string resourceId, string? resourceName, JsonObject details) =>
        audit.RecordAsync(user.WorkspaceId, new AuditActor("user:" + user.Email, user.Name, "user"), action, resource, resourceId, resourceName, details, CancellationToken.None);
}
