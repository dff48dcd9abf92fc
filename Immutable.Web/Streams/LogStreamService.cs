using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Streams;

/// <summary>A log stream as the API shows it. <c>status</c>: active, error (stopped after failures), disabled.</summary>
public sealed record LogStreamJson(
    string Id, string Type, string Url, bool Enabled, string Status, string? ErrorReason, string? ErrorAt, string CreatedAt, string UpdatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static LogStreamJson From(WebhookEndpointRecord e, bool withSecret = false) => new(
        e.Id, "webhook", e.Url, e.Enabled, !e.Enabled ? "disabled" : e.PausedAt is null ? "active" : "error", e.PausedReason,
        e.PausedAt is { } p ? Timestamps.ToIso(p) : null, Timestamps.ToIso(e.CreatedAt), Timestamps.ToIso(e.UpdatedAt),
        withSecret ? e.Secret : null);
}

/// <summary>Request body (documentation; parsed by <see cref="LogStreamService"/>).</summary>
public sealed record LogStreamInput(string? Type, string Url, bool? Enabled);

/// <summary>
/// Log streams, for the API and the dashboard: a signed HTTPS webhook that receives every event ingested after its
/// creation (Streams/LogStreamWorker). Stored as a webhook endpoint of kind <c>log_stream</c>, so signing, the outbox,
/// retries, the SSRF guard and the delivery log are the endpoints' own. Every change is recorded in the chain; the
/// signing secret is returned once, on creation; enabling a stream in error resumes it where it stopped.
/// </summary>
public sealed class LogStreamService(IDbContextFactory<ImmutableDbContext> dbFactory, WebhookUrlGuard guard, AuditTrail audit, IDomainEvents events, TimeProvider time)
{
    private readonly EndpointRows _rows = new(dbFactory, audit, WebhookKinds.LogStream, "Log stream", "log_stream");
    private static readonly string EventsRecordType = JsonSerializer.Serialize(new[] { "events" });

    public Task<IReadOnlyList<LogStreamJson>> ListAsync(WorkspacePrincipal who, CancellationToken ct = default) =>
        _rows.ListAsync(who, r => LogStreamJson.From(r), ct);

    public Task<Result<LogStreamJson>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default) =>
        _rows.GetAsync(who, id, r => LogStreamJson.From(r), ct);

    public async Task<Result<LogStreamJson>> CreateAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (parsed, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;
        var ws = who.WorkspaceId;
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // A new stream starts at the chain's head: it receives what is ingested from now on.
        var head = await db.Events.Where(e => e.WorkspaceId == ws).MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
        var row = new WebhookEndpointRecord
        {
            Id = "lst_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Kind = WebhookKinds.LogStream,
            Url = parsed!.Url,
            Secret = WebhookSigner.NewSecret(),
            Enabled = parsed.Enabled ?? true,
            RecordTypes = EventsRecordType,
            StreamCheckpoint = head,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.WebhookEndpoints.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, who.Actor, "log_stream.created", "log_stream", row.Id, row.Url,
            new JsonObject { ["type"] = "webhook", ["url"] = row.Url, ["enabled"] = row.Enabled }, () => db.WebhookEndpoints.Remove(row), ct);
        events.Publish(new LogStreamChanged(ws, row.Id));
        return LogStreamJson.From(row, withSecret: true);
    }

    /// <summary>Changes the URL and/or enabled flag; <c>enabled: true</c> on a stream in error resumes it.</summary>
    public async Task<Result<LogStreamJson>> UpdateAsync(WorkspacePrincipal who, string id, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await _rows.One(db, who, id).SingleOrDefaultAsync(ct);
        if (row is null) return Problem.NotFound("Log stream");
        var (parsed, problem) = await ParseAsync(input, ct);
        if (problem is not null) return problem;
        var before = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["status"] = LogStreamJson.From(row).Status };
        var saved = (row.Url, row.Enabled, row.PausedAt, row.PausedReason, row.ConsecutiveFailures, row.UpdatedAt);
        row.Url = parsed!.Url;
        row.Enabled = parsed.Enabled ?? row.Enabled;
        if (parsed.Enabled == true) (row.PausedAt, row.PausedReason, row.ConsecutiveFailures) = (null, null, 0);
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, who.WorkspaceId, who.Actor, "log_stream.updated", "log_stream", row.Id, row.Url,
            new JsonObject { ["before"] = before, ["after"] = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["status"] = LogStreamJson.From(row).Status } },
            () => (row.Url, row.Enabled, row.PausedAt, row.PausedReason, row.ConsecutiveFailures, row.UpdatedAt) = saved, ct);
        events.Publish(new LogStreamChanged(who.WorkspaceId, row.Id));
        events.Publish(new DeliveriesEnqueued(who.WorkspaceId)); // deliveries held while it was in error go out now
        return LogStreamJson.From(row);
    }

    public Task<Result<Done>> DeleteAsync(WorkspacePrincipal who, string id, CancellationToken ct = default) =>
        _rows.DeleteAsync(who, id, ct);

    private sealed record Parsed(string Url, bool? Enabled);

    private async Task<(Parsed? Input, Problem? Problem)> ParseAsync(JsonInput input, CancellationToken ct)
    {
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return (null, unreadable);
        if (root.ValueKind != JsonValueKind.Object) return (null, Problem.Invalid("body", "must be a JSON object"));
        var violations = new List<Violation>();
        if (root.TryGetProperty("type", out var t) && t.ValueKind != JsonValueKind.Null && (t.ValueKind != JsonValueKind.String || t.GetString() != "webhook"))
            violations.Add(new Violation("type", "must be \"webhook\" (S3-compatible destinations are not available yet)"));
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
        return violations.Count > 0 ? (null, Problem.Invalid(violations)) : (new Parsed(url!, enabled), null);
    }
}
