using System.Globalization;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Integrity;

public sealed record PublicKeysJson(IReadOnlyList<PublicKeyInfo> Keys);

/// <summary>
/// Verification, checkpoints, anchors and proofs (docs/hash-chain.md). The anchor routes are the ones the client
/// libraries call; <c>/api/v1/public/…</c> and the well-known key list need no key and are rate-limited per address.
/// </summary>
public static class IntegrityApi
{
    public const string WellKnownKeysPath = "/.well-known/immutable/signing-keys.json";

    public static IHostApplicationBuilder AddIntegrity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IntegrityOptions>().BindConfiguration(IntegrityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IntegrityPaths>();
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<WitnessFiles>();
        builder.Services.AddSingleton<ChainAudit>();
        builder.Services.AddSingleton<CheckpointWriter>();
        builder.Services.AddSingleton<AnchorWriter>();
        builder.Services.AddSingleton<AnchorProofs>();
        builder.Services.AddSingleton<VerificationHistory>();
        builder.Services.AddSingleton<ProofBundle>();
        builder.Services.AddHttpClient(TimestampAuthorityWitness.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton<IAnchorWitness, TimestampAuthorityWitness>();
        builder.Services.AddSingleton<IAnchorWitness, WebhookAnchorWitness>();
        builder.Services.AddSingleton<IAnchorWitness, EmailAnchorWitness>();
        if (builder.Configuration.GetSection(IntegrityOptions.Section).GetValue(nameof(IntegrityOptions.Checkpoints), true))
        {
            builder.Services.AddSingleton<IntegrityWorker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<IntegrityWorker>());
            Immutable.Web.DomainEvents.DomainEventsExtensions.AddDomainEventSubscriber<IntegrityWorker>(builder.Services);
        }
        return builder;
    }

    public const int DefaultLimit = 10_000;
    public const int MaxLimit = 1_000_000;

    public static RouteGroupBuilder MapIntegrityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/verify", VerifyAsync)
            .WithTags("Integrity")
            .WithName("VerifyChain")
            .WithSummary("Recompute the workspace's hash chain and hold it to its signed checkpoints and anchors; report every break")
            .ProducesProblemEnvelope(401, 422, 429)
            .WithDescription("Streams the range in pages (bounded memory). At most Integrity:MaxConcurrentVerifications run per workspace at once; more answer 429 with Retry-After.");
        var anchors = api.MapGroup("/anchors").WithTags("Integrity");
        anchors.MapGet("/", ListAnchorsAsync).WithName("ListAnchors").WithSummary("Signed Merkle anchors, newest first").ProducesProblemEnvelope(401, 422, 429);
        anchors.MapGet("/{id}", GetAnchorAsync).WithName("GetAnchor").WithSummary("One anchor").ProducesProblemEnvelope(401, 404, 429);
        anchors.MapGet("/{id}/verify", VerifyAnchorAsync).WithName("VerifyAnchor")
            .WithSummary("Recompute an anchor's Merkle root from the stored events; check its signature, its link to the previous anchor and its timestamp tokens")
            .ProducesProblemEnvelope(401, 404, 429);
        api.MapGet("/checkpoints", ListCheckpointsAsync).WithTags("Integrity").WithName("ListCheckpoints")
            .WithSummary("Signed checkpoints, newest first").ProducesProblemEnvelope(401, 422, 429);
        api.MapGet("/events/{id}/proof", ProofAsync).WithTags("Integrity").WithName("GetEventProof")
            .WithSummary("The event's Merkle inclusion path to its anchor root, the signed anchor and checkpoint, and the public keys")
            .ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    /// <summary>Routes without an API key: the public keys, and anchor lookups for third parties holding a root.</summary>
    public static IEndpointRouteBuilder MapPublicIntegrity(this IEndpointRouteBuilder app)
    {
        app.MapGet(WellKnownKeysPath, (SigningKeys keys) => TypedResults.Ok(new PublicKeysJson(keys.PublicKeys)))
            .WithTags("Integrity").WithName("SigningKeys").WithSummary("The public keys that verify checkpoints and anchors (current first)")
            .AllowAnonymous().RequireRateLimiting(RateLimiting.PerAddress);
        var pub = app.MapGroup("/api/v1/public/anchors").WithTags("Integrity").AllowAnonymous().RequireRateLimiting(RateLimiting.PerAddress);
        pub.MapGet("/lookup", LookupAsync).WithName("LookupAnchor")
            .WithSummary("Find an anchor by tx_hash; with no blockchain, tx_hash may be the anchor_hash or merkle_root a witness received")
            .ProducesProblemEnvelope(404, 422, 429);
        pub.MapGet("/{id}/verify", PublicVerifyAsync).WithName("PublicVerifyAnchor").WithSummary("Verify an anchor without an API key")
            .ProducesProblemEnvelope(404, 429);
        return app;
    }

    /// <summary>The dashboard's proof bundle download (signed-in members): the whole chain, or one anchor's range.</summary>
    public static IEndpointRouteBuilder MapIntegrityDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/integrity/bundle", DownloadBundleAsync)
            .RequireAuthorization(Immutable.Web.Accounts.AccountsExtensions.DashboardPolicy)
            .ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> DownloadBundleAsync(HttpContext http, ProofBundle bundle, AnchorProofs anchors, ChainAudit audit, CancellationToken ct)
    {
        var user = Immutable.Web.Accounts.DashboardUser.From(http.User);
        // The bundle is every event of the workspace (addresses, metadata): admins and owners only, like exports.
        if (user is null || !Immutable.Web.Accounts.Roles.CanConfigure(user.Role))
            return ApiResults.Status(StatusCodes.Status403Forbidden, new ApiError("forbidden", "Only admins and owners download proof bundles."));
        using var slot = await audit.EnterAsync(user.WorkspaceId, TimeSpan.Zero, ct);
        if (slot is null)
        {
            http.Response.Headers.RetryAfter = "5";
            return ApiResults.Status(StatusCodes.Status429TooManyRequests, new ApiError("rate_limited", "Verifications or downloads of this workspace are already running; retry after the time in Retry-After."));
        }
        long? from = null, to = null;
        var name = "chain";
        if (http.Request.Query["anchor"].ToString() is { Length: > 0 } anchorId)
        {
            if (await anchors.FindAsync(user.WorkspaceId, anchorId, ct) is not { } a) return ApiResults.NotFound("Anchor");
            (from, to, name) = (a.FirstSequence, a.LastSequence, a.Id);
        }
        http.Response.ContentType = "application/x-ndjson; charset=utf-8";
        // The file name is built from our own ids only (anc_<uuid> or "chain"), never from request text.
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"immutable-proof-{name}.ndjson\"";
        await bundle.WriteAsync(http.Response.Body, user.WorkspaceId, from, to, ct);
        return TypedResults.Empty;
    }

    public static async Task<Results<Ok<DataEnvelope<VerifyJson>>, UnprocessableEntity<ApiError>, JsonHttpResult<ApiError>>> VerifyAsync(
        HttpContext http, ChainAudit audit, CancellationToken ct)
    {
        var violations = new List<Violation>();
        var q = http.Request.Query;
        var (from, to) = RequestValues.TimeRange(q, violations);
        var limit = DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            violations.Add(new Violation("limit", $"must be an integer from 1 to {MaxLimit}"));
        long after = 0;
        if (q["after_sequence"].ToString() is { Length: > 0 } afterText
            && !long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after))
            violations.Add(new Violation("after_sequence", "must be a non-negative integer (last_sequence of the previous run)"));
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var who = WorkspacePrincipal.From(http.User);
        var result = await audit.VerifyAsync(who.WorkspaceId, from, to, limit, ct, wait: TimeSpan.Zero, ranBy: who.Actor.Id, afterSequence: after);
        if (result is null)
        {
            http.Response.Headers.RetryAfter = "5";
            return ApiResults.Status(StatusCodes.Status429TooManyRequests,
                new ApiError("rate_limited", "Verifications of this workspace are already running; retry after the time in Retry-After."));
        }
        return TypedResults.Ok(new DataEnvelope<VerifyJson>(result));
    }

    public static async Task<Results<Ok<ListEnvelope<AnchorJson>>, UnprocessableEntity<ApiError>>> ListAnchorsAsync(
        HttpContext http, AnchorProofs anchors, CancellationToken ct)
    {
        if (!TryLimit(http, out var limit, out var invalid)) return invalid!;
        var rows = await anchors.ListAsync(http.User.WorkspaceId(), limit + 1, ct);
        return TypedResults.Ok(new ListEnvelope<AnchorJson>(rows.Take(limit).Select(AnchorJson.From).ToList(), new Pagination(rows.Count > limit, null, Math.Min(rows.Count, limit))));
    }

    public static async Task<Results<Ok<DataEnvelope<AnchorJson>>, NotFound<ApiError>>> GetAnchorAsync(
        string id, HttpContext http, AnchorProofs anchors, CancellationToken ct) =>
        await anchors.FindAsync(http.User.WorkspaceId(), id, ct) is { } a
            ? TypedResults.Ok(new DataEnvelope<AnchorJson>(AnchorJson.From(a)))
            : ApiResults.NotFound("Anchor");

    public static async Task<Results<Ok<DataEnvelope<AnchorVerifyJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>>> VerifyAnchorAsync(
        string id, HttpContext http, AnchorProofs anchors, ChainAudit audit, CancellationToken ct)
    {
        if (await anchors.FindAsync(http.User.WorkspaceId(), id, ct) is not { } a) return ApiResults.NotFound("Anchor");
        using var slot = await audit.EnterAsync(a.WorkspaceId, TimeSpan.Zero, ct);
        if (slot is null) return Busy(http);
        return TypedResults.Ok(new DataEnvelope<AnchorVerifyJson>(await anchors.VerifyAsync(a, ct)));
    }

    /// <summary>Recomputing an anchor reads its whole period: these share the workspace's verification slots.</summary>
    private static JsonHttpResult<ApiError> Busy(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return ApiResults.Status(StatusCodes.Status429TooManyRequests,
            new ApiError("rate_limited", "Verifications of this workspace are already running; retry after the time in Retry-After."));
    }

    public static async Task<Results<Ok<ListEnvelope<CheckpointJson>>, UnprocessableEntity<ApiError>>> ListCheckpointsAsync(
        HttpContext http, AnchorProofs anchors, CancellationToken ct)
    {
        if (!TryLimit(http, out var limit, out var invalid)) return invalid!;
        var rows = await anchors.CheckpointsAsync(http.User.WorkspaceId(), limit + 1, ct);
        return TypedResults.Ok(new ListEnvelope<CheckpointJson>(rows.Take(limit).Select(r => CheckpointJson.From(r.ToDomain())).ToList(),
            new Pagination(rows.Count > limit, null, Math.Min(rows.Count, limit))));
    }

    public static async Task<Results<Ok<DataEnvelope<EventProofJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>>> ProofAsync(
        string id, HttpContext http, AnchorProofs anchors, ChainAudit audit, CancellationToken ct)
    {
        var workspaceId = http.User.WorkspaceId();
        using var slot = await audit.EnterAsync(workspaceId, TimeSpan.Zero, ct);
        if (slot is null) return Busy(http);
        return await anchors.ProofAsync(workspaceId, id, ct) is { } proof
            ? TypedResults.Ok(new DataEnvelope<EventProofJson>(proof))
            : ApiResults.NotFound("Event");
    }

    public static async Task<Results<Ok<DataEnvelope<AnchorJson>>, NotFound<ApiError>, UnprocessableEntity<ApiError>>> LookupAsync(
        HttpContext http, AnchorProofs anchors, CancellationToken ct)
    {
        var hash = http.Request.Query["tx_hash"].ToString();
        if (!Immutable.Domain.Chain.MerkleTree.IsHash(hash)) return ApiResults.Invalid("tx_hash", "must be 64 lowercase hex characters (an anchor_hash or merkle_root)");
        return await anchors.LookupAsync(hash, ct) is { } a ? TypedResults.Ok(new DataEnvelope<AnchorJson>(AnchorJson.From(a).ForPublic())) : ApiResults.NotFound("Anchor");
    }

    public static async Task<Results<Ok<DataEnvelope<AnchorVerifyJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>>> PublicVerifyAsync(
        string id, HttpContext http, AnchorProofs anchors, CancellationToken ct)
    {
        if (await anchors.FindAsync(null, id, ct) is not { } a) return ApiResults.NotFound("Anchor");
        if (await anchors.PublicVerifyAsync(a, ct) is { } result) return TypedResults.Ok(new DataEnvelope<AnchorVerifyJson>(result.ForPublic()));
        http.Response.Headers.RetryAfter = "5";
        return ApiResults.Status(StatusCodes.Status429TooManyRequests, new ApiError("rate_limited", "Another public verification is running; retry after the time in Retry-After."));
    }

    private static bool TryLimit(HttpContext http, out int limit, out UnprocessableEntity<ApiError>? invalid)
    {
        limit = 25;
        invalid = null;
        if (http.Request.Query["limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            invalid = ApiResults.Invalid("limit", "must be an integer from 1 to 100");
            return false;
        }
        return true;
    }
}
