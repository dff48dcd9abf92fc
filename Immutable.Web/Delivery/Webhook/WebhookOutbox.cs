using Immutable.Domain;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// Writes webhook notifications into the outbox (the deliveries table) inside the caller's transaction, the one
/// that stores the alert or observation: either both exist or neither. The dispatcher sends them afterwards (woken by
/// <see cref="Immutable.Web.DomainEvents.DeliveriesEnqueued"/>, which the caller publishes after its commit).
/// </summary>
public static class WebhookOutbox
{
    public const string Alerts = "alerts";
    public const string Observations = "observations";
    public const string Anchors = "anchors";

    public static async Task<int> EnqueueAsync(ImmutableDbContext db, string workspaceId, string recordType, IReadOnlyList<(string EventType, string RecordId, JsonObject Payload)> notifications, DateTime now, CancellationToken ct)
    {
        if (notifications.Count == 0) return 0;
        var endpoints = (await db.WebhookEndpoints.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Enabled && e.PausedAt == null).ToListAsync(ct))
            .Where(e => JsonSerializer.Deserialize<List<string>>(e.RecordTypes)!.Contains(recordType))
            .ToList();
        foreach (var endpoint in endpoints)
        {
            foreach (var (eventType, recordId, payload) in notifications)
            {
                db.Deliveries.Add(new DeliveryRecord
                {
                    Id = "dlv_" + Guid.NewGuid().ToString("D"),
                    WorkspaceId = workspaceId,
                    EndpointId = endpoint.Id,
                    EventType = eventType,
                    RecordId = recordId,
                    Payload = payload.ToJsonString(),
                    Status = "pending",
                    NextAttemptAt = now,
                    CreatedAt = now,
                });
            }
        }
        return endpoints.Count * notifications.Count;
    }

    /// <summary>The alert payload of the spec: flat event and rule context as stored.</summary>
    public static JsonObject AlertPayload(AlertRecord a) => new()
    {
        ["event_type"] = "alert.triggered",
        ["alert_id"] = a.Id,
        ["rule_name"] = a.RuleName,
        ["rule_type"] = WireName.Of(a.RuleType),
        ["severity"] = WireName.Of(a.Severity),
        ["reason"] = a.Reason,
        ["triggered_at"] = Timestamps.ToIso(a.TriggeredAt),
        ["workspace_id"] = a.WorkspaceId,
        ["event"] = a.Event is null ? null : JsonNode.Parse(a.Event),
        ["context"] = JsonNode.Parse(a.Context),
    };

    public static JsonObject PingPayload(string workspaceId, string endpointId, DateTime now) => new()
    {
        ["event_type"] = "ping",
        ["workspace_id"] = workspaceId,
        ["endpoint_id"] = endpointId,
        ["timestamp"] = Timestamps.ToIso(now),
    };
}
