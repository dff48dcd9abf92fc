using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

/// <summary>
/// The baseline rules (ingestion_spike), run on a schedule over ingestion counts (created_at).
/// Runs once per window cluster-wide: every instance's schedule fires, the first to claim the window's minute
/// (<see cref="LeaseStore.TryClaimPeriodAsync"/>, lease <c>scheduled-rules</c>) evaluates it, the others return 0.
/// An instance that dies mid-run loses that window's evaluation; the next window is evaluated by whoever claims it.
/// </summary>
public sealed class ScheduledRuleEvaluator(IDbContextFactory<ImmutableDbContext> dbFactory, IEventCounts counts, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<PublicUrlOptions> publicUrl, IDomainEvents events, LeaseStore leases, Incidents.IncidentGrouper incidents)
{
    public const string LeaseName = "scheduled-rules";

    /// <summary>Evaluates every enabled spike rule for the window ending at the current minute; returns alerts created (0 when that window was already claimed).</summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var windowEnd = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        if (!await leases.TryClaimPeriodAsync(LeaseName, windowEnd, ct)) return 0;
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
            var incidentIds = await incidents.GroupAsync(db, ws, writer.Created, [], ct);
            var notifications = await writer.EnqueueNotificationsAsync(publicUrl.Value.Base, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            created += writer.Created.Count;
            writer.Publish(events, notifications);
            if (incidentIds.Count > 0) events.Publish(new IncidentsChanged(ws, incidentIds));
        }
        return created;
    }
}
