using System.Globalization;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Integrity;

public sealed record ChainBreakJson(
    string EventId,
    ChainBreakType Type,
    string? ExpectedHash,
    string? ActualHash,
    long Sequence);

/// <param name="Breaks">The first <see cref="ChainAudit.MaxReportedBreaks"/> breaks; <paramref name="BreaksTotal"/> counts all.</param>
/// <param name="ArchivedThroughSequence">
/// Set when the checked run starts where retention cut the stored chain: the sequence of the last archived event, whose
/// hash the first remaining event was linked to (continuity from the cut is proven).
/// </param>
public sealed record VerifyJson(bool Valid, int EventsChecked, IReadOnlyList<ChainBreakJson> Breaks, long? FirstSequence, long? LastSequence, bool HasMore, int BreaksTotal,
    long? ArchivedThroughSequence = null);

public static class IntegrityApi
{
    public static IHostApplicationBuilder AddIntegrity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IntegrityOptions>().BindConfiguration(IntegrityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ChainAudit>();
        return builder;
    }

    public const int DefaultLimit = 10_000;
    public const int MaxLimit = 1_000_000;

    public static RouteGroupBuilder MapIntegrityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/verify", VerifyAsync)
            .WithTags("Integrity")
            .WithName("VerifyChain")
            .WithSummary("Recompute the workspace's hash chain and report every break")
            .ProducesProblemEnvelope(401, 422, 429)
            .WithDescription("Streams the range in pages (bounded memory). At most Integrity:MaxConcurrentVerifications run per workspace at once; more answer 429 with Retry-After.");
        return api;
    }

    public static async Task<Results<Ok<DataEnvelope<VerifyJson>>, UnprocessableEntity<ApiError>, JsonHttpResult<ApiError>>> VerifyAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, ChainAudit audit, CancellationToken ct)
    {
        var violations = new List<Violation>();
        var q = http.Request.Query;
        DateTime? from = RequestValues.Time(q["from"], "from", violations), to = RequestValues.Time(q["to"], "to", violations);
        var limit = DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            violations.Add(new Violation("limit", $"must be an integer from 1 to {MaxLimit}"));
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var result = await audit.VerifyAsync(http.User.WorkspaceId(), from, to, limit, ct, wait: TimeSpan.Zero);
        if (result is null)
        {
            http.Response.Headers.RetryAfter = "5";
            return ApiResults.Status(StatusCodes.Status429TooManyRequests,
                new ApiError("rate_limited", "Verifications of this workspace are already running; retry after the time in Retry-After."));
        }
        return TypedResults.Ok(new DataEnvelope<VerifyJson>(result));
    }
}

/// <summary>
/// Reads a run of the stored chain page by page and checks it with <see cref="ChainRun"/>.
/// Invariant: memory is bounded by one page of events and <see cref="MaxReportedBreaks"/> breaks, whatever the
/// range; at most <c>Integrity:MaxConcurrentVerifications</c> runs per workspace hold pages at once.
/// </summary>
public sealed class ChainAudit(IDbContextFactory<ImmutableDbContext> dbFactory, Microsoft.Extensions.Options.IOptions<IntegrityOptions> options)
{
    public const int MaxReportedBreaks = 1000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <param name="afterSequence">Continue after this sequence (the dashboard verifies a long chain in runs).</param>
    /// <param name="wait">How long to wait for a free verification slot of the workspace.</param>
    /// <returns>The result, or null when every slot stayed busy for <paramref name="wait"/>.</returns>
    public async Task<VerifyJson?> VerifyAsync(string workspaceId, DateTime? from, DateTime? to, int limit, CancellationToken ct, long afterSequence = 0, TimeSpan? wait = null)
    {
        using var slot = await EnterAsync(workspaceId, wait ?? Timeout.InfiniteTimeSpan, ct);
        return slot is null ? null : await RunAsync(workspaceId, from, to, limit, afterSequence, ct);
    }

    /// <summary>Takes one of the workspace's verification slots (null when none frees up in time); dispose to release.</summary>
    public async Task<IDisposable?> EnterAsync(string workspaceId, TimeSpan wait, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(workspaceId, _ => new SemaphoreSlim(options.Value.MaxConcurrentVerifications));
        return await gate.WaitAsync(wait, ct) ? new Slot(gate) : null;
    }

    private sealed class Slot(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    private async Task<VerifyJson> RunAsync(string workspaceId, DateTime? from, DateTime? to, int limit, long afterSequence, CancellationToken ct)
    {
        ChainRun? run = null;
        long? first = null, last = null, archivedThrough = null;
        var hasMore = false;
        var cursor = afterSequence;
        var pageSize = options.Value.VerifyPageSize;
        while (true)
        {
            // A context per page: nothing tracked, nothing kept between pages but the previous event.
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var q = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence > cursor);
            if (from is { } f) q = q.Where(e => e.CreatedAt >= f);
            if (to is { } t) q = q.Where(e => e.CreatedAt <= t);
            var remaining = limit - (run?.EventsChecked ?? 0);
            var take = Math.Min(pageSize, remaining);
            var rows = await q.OrderBy(e => e.Sequence).Take(take + 1).ToListAsync(ct);
            if (rows.Count == 0) break;
            if (run is null)
            {
                // The link of the first checked event is checked against the stored event before it, if any.
                var firstSequence = rows[0].Sequence;
                var predecessor = await db.Events.AsNoTracking()
                    .Where(e => e.WorkspaceId == workspaceId && e.Sequence < firstSequence)
                    .OrderByDescending(e => e.Sequence)
                    .FirstOrDefaultAsync(ct);
                // None stored before it: the chain starts here, or retention archived what came before (the cut).
                var before = predecessor?.ToDomain();
                if (before is null && await db.RetentionCuts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct) is { } cut)
                {
                    before = cut.ToPredecessor();
                    archivedThrough = cut.LastSequence;
                }
                run = new ChainRun(before, MaxReportedBreaks);
                first = firstSequence;
            }
            var more = rows.Count > take;
            foreach (var row in rows.Take(take)) run.Check(row.ToDomain());
            last = rows[Math.Min(take, rows.Count) - 1].Sequence;
            cursor = last.Value;
            if (run.EventsChecked >= limit) { hasMore = more; break; }
            if (!more) break;
        }
        if (run is null) return new VerifyJson(true, 0, [], null, null, false, 0);
        var result = run.Result;
        var breaks = result.Breaks
            .Select(b => new ChainBreakJson(b.EventId.ToString("D"), b.Type, b.ExpectedHash, b.ActualHash, b.Sequence))
            .ToList();
        return new VerifyJson(result.Valid, result.EventsChecked, breaks, first, last, hasMore, run.BreaksFound, archivedThrough);
    }
}

/// <summary>Verification limits (section "Integrity").</summary>
public sealed class IntegrityOptions
{
    public const string Section = "Integrity";

    /// <summary>Verifications of one workspace running at once (API and dashboard); more get 429.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int MaxConcurrentVerifications { get; set; } = 2;

    /// <summary>Events read per page while verifying.</summary>
    [System.ComponentModel.DataAnnotations.Range(100, 100_000)]
    public int VerifyPageSize { get; set; } = 2000;
}

/// <summary>The last whole-chain verification per workspace run from the dashboard (shown on the overview).</summary>
public sealed class IntegrityStatus
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime At, bool Valid, long Checked, int Breaks)> _last = new(StringComparer.Ordinal);

    public void Record(string workspaceId, DateTime at, bool valid, long eventsChecked, int breaks) => _last[workspaceId] = (at, valid, eventsChecked, breaks);

    public (DateTime At, bool Valid, long Checked, int Breaks)? Last(string workspaceId) => _last.TryGetValue(workspaceId, out var v) ? v : null;
}
