using System.Text.Json;
using System.Text.Json.Serialization;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Integrity;

/// <summary>Past verifications of a workspace and who ran them (the Integrity page, the overview's integrity card).</summary>
public sealed class VerificationHistory(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public async Task<IReadOnlyList<VerificationRecord>> RecentAsync(string workspaceId, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Verifications.AsNoTracking().Where(v => v.WorkspaceId == workspaceId)
            .OrderByDescending(v => v.FinishedAt).ThenByDescending(v => v.RowId).Take(take).ToListAsync(ct);
    }

    /// <summary>
    /// The newest run that checked the whole chain: what the overview's card shows. A partial run (a range, a limit) cannot
    /// clear a break a whole run found.
    /// </summary>
    public async Task<VerificationRecord?> LatestCompleteAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Verifications.AsNoTracking().Where(v => v.WorkspaceId == workspaceId && v.Complete)
            .OrderByDescending(v => v.FinishedAt).ThenByDescending(v => v.RowId).FirstOrDefaultAsync(ct);
    }

    public static ChainBreakJson? FirstBreak(VerificationRecord v) =>
        v.FirstBreak is null ? null : JsonSerializer.Deserialize<ChainBreakJson>(v.FirstBreak, Json);
}
