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

    public async Task<VerificationRecord?> LatestAsync(string workspaceId, CancellationToken ct = default)
    {
        var recent = await RecentAsync(workspaceId, 1, ct);
        return recent.Count == 0 ? null : recent[0];
    }

    public static ChainBreakJson? FirstBreak(VerificationRecord v) =>
        v.FirstBreak is null ? null : JsonSerializer.Deserialize<ChainBreakJson>(v.FirstBreak, Json);
}
