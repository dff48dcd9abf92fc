using System.Net;
using System.Text.Json;
using Immutable.Domain.Events;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Enrichment;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Ingest;

/// <param name="Sequence">The event's place in the chain and <paramref name="EventHash"/> its hash: a receipt to keep (for a duplicate, the first event's).</param>
public sealed record IngestResult(string Id, string Status, long Sequence, string EventHash)
{
    public static IngestResult From(AppendOutcome outcome) =>
        new(outcome.Id.ToString("D"), outcome.Duplicate ? "duplicate" : "queued", outcome.Sequence, outcome.EventHash);
}

public sealed record BatchIngestResult(IReadOnlyList<IngestResult> Events);

/// <summary>The wire shape of one event to ingest (documentation only: bodies are parsed by <see cref="EventInputParser"/>).</summary>
public sealed record EventInput(
    string ActorId, string Action, string? ActorName, string? ActorType, string? ActionCategory,
    string? Resource, string? ResourceId, string? ResourceName, IReadOnlyList<TargetInput>? Targets,
    Dictionary<string, JsonElement>? Metadata, string? TenantId, string? SessionId, string? IdempotencyKey,
    int? Version, string? OccurredAt, string? IpAddress, string? UserAgent);

public sealed record TargetInput(string Type, string? Id, string? Name, Dictionary<string, JsonElement>? Metadata);

public sealed record BatchInput(IReadOnlyList<EventInput> Events);

/// <summary>
/// POST /api/v1/events and /events/batch. Flow: read JSON → validate every field (all-or-nothing) →
/// geo-enrich → append through the chain writer → 202 only after commit.
/// </summary>
public static class IngestApi
{
    public const int MaxSingleBodyBytes = 1024 * 1024;
    public const int MaxBatchBodyBytes = 8 * 1024 * 1024;

    public static RouteGroupBuilder MapIngestApi(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/events").WithTags("Ingest");
        events.MapPost("/", PostEventAsync)
            .WithName("IngestEvent")
            .WithSummary("Record one audit event")
            .Accepts<EventInput>("application/json")
            .ProducesProblemEnvelope(400, 401, 413, 415, 422, 429);
        events.MapPost("/batch", PostBatchAsync)
            .WithName("IngestEventBatch")
            .WithSummary("Record 1..100 audit events atomically")
            .Accepts<BatchInput>("application/json")
            .ProducesProblemEnvelope(400, 401, 413, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Accepted<IngestResult>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> PostEventAsync(
        HttpContext http, IEventLog log, IGeoLocator geo, IOptions<QueryActivityOptions> queries, WorkspaceSettingsStore settings, TimeProvider time, CancellationToken ct)
    {
        using var body = await JsonBody.ReadAsync(http.Request, MaxSingleBodyBytes, EventInputParser.DocumentOptions, ct);
        if (body.Error is { } error) return error;

        var violations = new List<Violation>();
        var parsed = EventInputParser.Parse(body.Document!.RootElement, "", violations, time.GetUtcNow().UtcDateTime, queries.Value.ActionPatterns);
        if (parsed is null) return ApiResults.Invalid(violations);

        var workspaceId = http.User.WorkspaceId();
        var schema = (await settings.GetAsync(workspaceId, ct)).Schema;
        parsed = ApplySchema(schema, parsed, "action", violations);
        if (parsed is null) return TypedResults.UnprocessableEntity(new ApiError("validation_failed", violations[0].Message, violations));

        var content = Enrich(parsed, http, geo);
        var outcomes = await log.AppendAsync(workspaceId, [content], ct);
        return TypedResults.Accepted((string?)null, IngestResult.From(outcomes[0]));
    }

    public static async Task<Results<Accepted<BatchIngestResult>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> PostBatchAsync(
        HttpContext http, IEventLog log, IGeoLocator geo, IOptions<QueryActivityOptions> queries, WorkspaceSettingsStore settings, TimeProvider time, CancellationToken ct)
    {
        using var body = await JsonBody.ReadAsync(http.Request, MaxBatchBodyBytes, EventInputParser.DocumentOptions, ct);
        if (body.Error is { } error) return error;

        var root = body.Document!.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return ApiResults.Invalid("body", "must be a JSON object with an \"events\" array");
        if (!root.TryGetProperty("events", out var items) || items.ValueKind == JsonValueKind.Null)
            return ApiResults.Invalid("events", "is required");
        if (items.ValueKind != JsonValueKind.Array)
            return ApiResults.Invalid("events", "must be an array");
        var count = items.GetArrayLength();
        if (count is 0 or > EventInputParser.MaxBatch)
            return ApiResults.Invalid("events", $"must hold 1 to {EventInputParser.MaxBatch} events (has {count})");

        var violations = new List<Violation>();
        var receivedAt = time.GetUtcNow().UtcDateTime;
        var workspaceId = http.User.WorkspaceId();
        var schema = (await settings.GetAsync(workspaceId, ct)).Schema;
        var contents = new List<EventContent>(count);
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"events[{index++}]";
            var parsed = EventInputParser.Parse(item, path, violations, receivedAt, queries.Value.ActionPatterns);
            if (parsed is not null) parsed = ApplySchema(schema, parsed, path + ".action", violations);
            if (parsed is not null) contents.Add(Enrich(parsed, http, geo));
        }
        // All or nothing: one bad item (a strict schema's unknown action included) rejects the batch before anything is stored.
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var outcomes = await log.AppendAsync(workspaceId, contents, ct);
        return TypedResults.Accepted((string?)null, new BatchIngestResult(outcomes.Select(IngestResult.From).ToList()));
    }

    /// <summary>
    /// The workspace's event schema: an action outside its patterns is refused (strict: a violation at
    /// <paramref name="field"/>, returns null) or stored flagged (permissive).
    /// </summary>
    private static ParsedEvent? ApplySchema(EventSchema schema, ParsedEvent parsed, string field, List<Violation> violations)
    {
        var action = parsed.Content.Action;
        switch (schema.Check(action))
        {
            case SchemaVerdict.Accepted:
                return parsed;
            case SchemaVerdict.Flagged:
                return parsed with { Content = parsed.Content with { SchemaViolation = true } };
            case SchemaVerdict.Rejected:
                violations.Add(new Violation(field, EventSchema.RejectionMessage(action)));
                return null;
            default:
                throw new InvalidOperationException("unknown schema verdict");
        }
    }

    /// <summary>The event's IP is the one the client named, else the caller's (after trusted-proxy forwarding).</summary>
    private static EventContent Enrich(ParsedEvent parsed, HttpContext http, IGeoLocator geo)
    {
        var address = parsed.IpAddress ?? Normalize(http.Connection.RemoteIpAddress);
        return parsed.Content with
        {
            IpAddress = address?.ToString(),
            Geo = geo.Locate(address),
        };
    }

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
