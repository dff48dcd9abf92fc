using Immutable.Web.DomainEvents;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// Webhook endpoints and their deliveries, for the API and the dashboard alike: URLs pass the SSRF guard, every
/// endpoint change is recorded in the workspace's chain, and the signing secret is returned once, on creation.
/// </summary>
public sealed class WebhookEndpointService(IDbContextFactory<ImmutableDbContext> dbFactory, WebhookUrlGuard guard, AuditTrail audit, IDomainEvents events, TimeProvider time)
{
    private readonly EndpointRows _rows = new(dbFactory, audit, WebhookKinds.Endpoint, "Webhook endpoint", "webhook_endpoint");
    /// <summary>What a new endpoint receives when it names nothing; <c>anchors</c> (anchor.created, a witness copy of each signed anchor) is opt-in.</summary>
    private static readonly string[] RecordTypes = [WebhookOutbox.Alerts, WebhookOutbox.Observations];
    private static readonly string[] AllowedRecordTypes = [WebhookOutbox.Alerts, WebhookOutbox.Observations, WebhookOutbox.Anchors];

    public Task<IReadOnlyList<WebhookEndpointJson>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default) =>
        _rows.ListAsync(who, r => WebhookEndpointJson.From(r), ct);

    public Task<Result<WebhookEndpointJson>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default) =>
        _rows.GetAsync(who, id, r => WebhookEndpointJson.From(r), ct);

    /// <summary>Creates an endpoint (<see cref="WebhookEndpointInput"/>); the result carries the secret, this once.</summary>
    public async Task<Result<WebhookEndpointJson>> CreateAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (endpoint, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;
        var ws = who.WorkspaceId;
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = new WebhookEndpointRecord
        {
            Id = "whe_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Url = endpoint!.Url,
            Secret = WebhookSigner.NewSecret(),
            Enabled = endpoint.Enabled ?? true,
            RecordTypes = JsonSerializer.Serialize(endpoint.RecordTypes ?? RecordTypes),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.WebhookEndpoints.Add(row);
        await db.SaveChangesAsync(ct);
        // The secret is not in the audit record: it is shown once, to the caller.
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "webhook_endpoint.created", "webhook_endpoint", row.Id, row.Url,
            new JsonObject { ["url"] = row.Url, ["record_types"] = JsonNode.Parse(row.RecordTypes) }, () => db.WebhookEndpoints.Remove(row), ct);
        return WebhookEndpointJson.From(row, withSecret: true);
    }

    public async Task<Result<WebhookEndpointJson>> UpdateAsync(WorkspacePrincipal who, string id, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await _rows.One(db, who, id).SingleOrDefaultAsync(ct);
        if (row is null) return Problem.NotFound("Webhook endpoint");
        var (endpoint, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;
        var before = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["record_types"] = JsonNode.Parse(row.RecordTypes) };
        var (oldUrl, oldEnabled, oldTypes, oldPaused, oldReason) = (row.Url, row.Enabled, row.RecordTypes, row.PausedAt, row.PausedReason);
        row.Url = endpoint!.Url;
        row.Enabled = endpoint.Enabled ?? row.Enabled;
        row.RecordTypes = JsonSerializer.Serialize(endpoint.RecordTypes ?? RecordTypes);
        if (endpoint.Enabled == true) (row.PausedAt, row.PausedReason, row.ConsecutiveFailures) = (null, null, 0); // enabling again resumes a paused endpoint
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "webhook_endpoint.updated", "webhook_endpoint", row.Id, row.Url,
            new JsonObject { ["before"] = before, ["after"] = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["record_types"] = JsonNode.Parse(row.RecordTypes) } },
            () => (row.Url, row.Enabled, row.RecordTypes, row.PausedAt, row.PausedReason) = (oldUrl, oldEnabled, oldTypes, oldPaused, oldReason), ct);
        return WebhookEndpointJson.From(row);
    }

    public Task<Result<Done>> DeleteAsync(WorkspacePrincipal who, string id, CancellationToken ct = default) =>
        _rows.DeleteAsync(who, id, ct);

    /// <summary>An endpoint's (or a log stream's: they share the outbox) deliveries, newest first, with their attempt logs.</summary>
    public async Task<Result<ListEnvelope<DeliveryJson>>> DeliveriesAsync(WorkspacePrincipal who, string id, CursorKey? cursor, int limit, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.WebhookEndpoints.AnyAsync(e => e.Id == id && e.WorkspaceId == who.WorkspaceId, ct)) return Problem.NotFound("Webhook endpoint");
        var query = db.Deliveries.AsNoTracking().Where(d => d.EndpointId == id);
        var (page, pagination) = await Paging.NewestFirstAsync(query, cursor, limit, ct);
        var rowIds = page.Select(d => d.RowId).ToList();
        var attempts = (await db.DeliveryAttempts.AsNoTracking().Where(a => rowIds.Contains(a.DeliveryRowId)).OrderBy(a => a.RowId).ToListAsync(ct))
            .ToLookup(a => a.DeliveryRowId);
        return new ListEnvelope<DeliveryJson>(page.Select(d => ToJson(d, attempts[d.RowId])).ToList(), pagination);
    }

    /// <summary>Queues a signed ping to the endpoint.</summary>
    public async Task<Result<DeliveryJson>> TestAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var ws = who.WorkspaceId;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await _rows.One(db, who, id).AsNoTracking().SingleOrDefaultAsync(ct);
        if (endpoint is null) return Problem.NotFound("Webhook endpoint");
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var delivery = new DeliveryRecord
        {
            Id = "dlv_" + Guid.NewGuid().ToString("D"), WorkspaceId = ws, EndpointId = id, EventType = "ping", Payload = WebhookOutbox.PingPayload(ws, id, now).ToJsonString(),
            Status = "pending", NextAttemptAt = now, CreatedAt = now,
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        events.Publish(new DeliveriesEnqueued(ws));
        return ToJson(delivery, []);
    }

    /// <summary>Queues a delivery again now, whatever its state; its attempt log keeps the earlier attempts.</summary>
    public async Task<Result<DeliveryJson>> RedeliverAsync(WorkspacePrincipal who, string deliveryId, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Deliveries.SingleOrDefaultAsync(d => d.Id == deliveryId && d.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Delivery");
        row.Status = "pending";
        row.Attempts = 0;
        row.NextAttemptAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        events.Publish(new DeliveriesEnqueued(who.WorkspaceId));
        return ToJson(row, []);
    }

    private static DeliveryJson ToJson(DeliveryRecord d, IEnumerable<DeliveryAttemptRecord> attempts) => new(
        d.Id, d.EndpointId, d.EventType, d.RecordId, d.Status, d.Attempts, Timestamps.ToIso(d.NextAttemptAt), Timestamps.ToIso(d.CreatedAt),
        d.DeliveredAt is { } t ? Timestamps.ToIso(t) : null, d.LastError,
        attempts.Select(a => new DeliveryAttemptJson(Timestamps.ToIso(a.AttemptedAt), a.StatusCode, a.LatencyMs, a.Error, a.ResponseExcerpt)).ToList());

    private async Task<(WebhookEndpointInput? Input, Problem? Problem)> ParseAsync(JsonInput input, CancellationToken ct)
    {
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return (null, unreadable);
        var violations = new List<Violation>();
        if (root.ValueKind != JsonValueKind.Object) return (null, Problem.Invalid("body", "must be a JSON object"));
        string? url = null;
        if (!root.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String) violations.Add(new Violation("url", "is required (an http or https URL)"));
        else if (await guard.CheckAsync(u.GetString()!, ct) is { } refused) violations.Add(new Violation("url", refused));
        else url = u.GetString();
        bool? enabled = null;
        if (root.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) enabled = e.GetBoolean();
            else violations.Add(new Violation("enabled", "must be true or false"));
        }
        List<string>? types = null;
        if (root.TryGetProperty("record_types", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() == 0 || t.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || !AllowedRecordTypes.Contains(x.GetString())))
                violations.Add(new Violation("record_types", "must be a non-empty array of \"alerts\", \"observations\" and/or \"anchors\""));
            else types = t.EnumerateArray().Select(x => x.GetString()!).Distinct().ToList();
        }
        return violations.Count > 0 ? (null, Problem.Invalid(violations)) : (new WebhookEndpointInput(url!, enabled, types), null);
    }
}
