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

public sealed record VerifyJson(bool Valid, int EventsChecked, IReadOnlyList<ChainBreakJson> Breaks, long? FirstSequence, long? LastSequence, bool HasMore);

public static class IntegrityApi
{
    public const int DefaultLimit = 10_000;
    public const int MaxLimit = 1_000_000;

    public static RouteGroupBuilder MapIntegrityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/verify", VerifyAsync)
            .WithTags("Integrity")
            .WithName("VerifyChain")
            .WithSummary("Recompute the workspace's hash chain and report every break")
            .ProducesProblemEnvelope(401, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<DataEnvelope<VerifyJson>>, UnprocessableEntity<ApiError>>> VerifyAsync(
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

        var result = await audit.VerifyAsync(http.User.WorkspaceId(), from, to, limit, ct);
        return TypedResults.Ok(new DataEnvelope<VerifyJson>(result));
    }
}

/// <summary>Reads a run of the stored chain and checks it with the pure <see cref="ChainVerifier"/>.</summary>
public sealed class ChainAudit(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    /// <param name="afterSequence">Continue after this sequence (the dashboard verifies a long chain in runs).</param>
    public async Task<VerifyJson> VerifyAsync(string workspaceId, DateTime? from, DateTime? to, int limit, CancellationToken ct, long afterSequence = 0)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence > afterSequence);
        if (from is { } f) q = q.Where(e => e.CreatedAt >= f);
        if (to is { } t) q = q.Where(e => e.CreatedAt <= t);
        var rows = await q.OrderBy(e => e.Sequence).Take(limit + 1).ToListAsync(ct);
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        if (rows.Count == 0) return new VerifyJson(true, 0, [], null, null, false);

        // The link of the first checked event is checked against the stored event before it, if any.
        var firstSequence = rows[0].Sequence;
        var predecessor = await db.Events.AsNoTracking()
            .Where(e => e.WorkspaceId == workspaceId && e.Sequence < firstSequence)
            .OrderByDescending(e => e.Sequence)
            .FirstOrDefaultAsync(ct);

        var verification = ChainVerifier.Verify(rows.Select(r => r.ToDomain()), predecessor?.ToDomain());
        var breaks = verification.Breaks
            .Select(b => new ChainBreakJson(b.EventId.ToString("D"), b.Type, b.ExpectedHash, b.ActualHash, b.Sequence))
            .ToList();
        return new VerifyJson(verification.Valid, verification.EventsChecked, breaks, rows[0].Sequence, rows[^1].Sequence, hasMore);
    }
}

/// <summary>The last whole-chain verification per workspace run from the dashboard (shown on the overview).</summary>
public sealed class IntegrityStatus
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime At, bool Valid, long Checked, int Breaks)> _last = new(StringComparer.Ordinal);

    public void Record(string workspaceId, DateTime at, bool valid, long eventsChecked, int breaks) => _last[workspaceId] = (at, valid, eventsChecked, breaks);

    public (DateTime At, bool Valid, long Checked, int Breaks)? Last(string workspaceId) => _last.TryGetValue(workspaceId, out var v) ? v : null;
}
