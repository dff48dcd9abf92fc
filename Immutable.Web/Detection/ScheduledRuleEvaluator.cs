using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

/// <summary>The baseline rules (ingestion_spike), run on a schedule over ingestion counts (created_at).</summary>
public sealed class ScheduledRuleEvaluator(IDbContextFactory<ImmutableDbContext> dbFactory, IEventCounts counts, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<PublicUrlOptions> publicUrl, IDomainEvents events)
{
    /// <summary>Evaluates every enabled spike rule for the window ending at the current minute; returns alerts created.</summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var windowEnd = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var records = await db.AlertRules.AsNoTracking().Where(r => r.Enabled && r.RuleType == RuleType.IngestionSpike).ToListAsync(ct);
        var created = 0;
        foreach (var workspaceRules in records.Select(r => r.ToDomain()).GroupBy(r => r.WorkspaceId))
        {
            var ws = workspaceRules.Key;
            var hits = new List<RuleHit>();
            foreach (var rule in workspaceRules)
                hits.AddRange(await counts.HitsAsync(rule, windowEnd.AddMinutes(-((IngestionSpikeConditions)rule.Conditions).WindowMinutes), windowEnd, ct));
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var writer = new AlertWriter(db, ws, Timestamps.ToMicroseconds(time.GetUtcNow()), []);
            foreach (var hit in hits) await writer.ApplyAsync(hit, ct);
            var notifications = await writer.EnqueueNotificationsAsync(publicUrl.Value.Base, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            created += writer.Created.Count;
            writer.Publish(events, notifications);
        }
        return created;
    }
}
