using System.Collections.Concurrent;
using Immutable.Domain.Rules;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Detection;

/// <summary>
/// Runs a workspace's per-event rules over the events after its checkpoint, in sequence order.
/// Invariant: the alerts of a chunk, the rule memory it taught (countries per actor, last travel fix) and the
/// advanced checkpoint commit in one transaction, so a crash or restart neither skips an event nor raises an
/// alert twice. Sliding-window contents are not persisted; they are rebuilt by replaying the recent events
/// up to the checkpoint (without alerting) when a workspace's rules are loaded.
/// Memory is bounded: windows of expired groups are evicted by the rules themselves, and the long-lived memory
/// (countries per actor, last travel fix) is read from the store per chunk into caches of at most
/// <c>Detection:MaxCachedGroups</c> actors per rule.
/// </summary>
public sealed partial class StreamEvaluator(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IRuleMemoryStore memoryStore,
    CommittedEventTail tail,
    TimeProvider time,
    IOptions<DetectionOptions> options,
    IOptions<PublicUrlOptions> publicUrl,
    IDomainEvents domainEvents,
    LeaseStore leases,
    Incidents.IncidentGrouper incidents,
    ILogger<StreamEvaluator> logger) : IDomainEventSubscriber
{
    /// <summary>
    /// How long this instance owns a workspace's stream after its last chunk. Another instance's safety-net sweep
    /// (every <c>Detection:SafetyNetSeconds</c>, 5 s) takes the workspace over once it has expired: within 20 + 5 s
    /// of a crash.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(20);

    public static string LeaseName(string workspaceId) => "detection:" + workspaceId;

    // Until when this instance holds each workspace's lease (by its own renewals): a lease taken after a gap may have
    // been another instance's meanwhile, so the rules' in-memory state (sliding windows, cooldowns) is rebuilt.
    private readonly ConcurrentDictionary<string, DateTime> _heldUntil = new(StringComparer.Ordinal);

    private sealed class LeaseLostException() : Exception("Another instance owns the workspace's stream now.");

    private readonly ConcurrentDictionary<string, WorkspaceRules> _loaded = new(StringComparer.Ordinal);
    // Bumped by every invalidation; a rule set loaded under an older generation is used once, never cached.
    private readonly ConcurrentDictionary<string, int> _generations = new(StringComparer.Ordinal);

    private sealed record WorkspaceRules(RuleSet RuleSet, IReadOnlyList<AlertRule> Correlations, int Generation)
    {
        public int MaxCooldownMinutes { get; } = RuleSet.Evaluators.Select(e => e.Rule.CooldownMinutes).DefaultIfEmpty(0).Max();
    }

    /// <summary>A rule changed here or on another instance: the workspace's loaded rules are stale.</summary>
    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        if (domainEvent is RuleChanged changed) Invalidate(changed.WorkspaceId);
        else if (domainEvent is PeerEventsMissed)
        {
            // Another instance's rule changes may have been lost with the link: reload every workspace's rules.
            foreach (var workspaceId in _loaded.Keys.Union(_generations.Keys).ToList()) Invalidate(workspaceId);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Forget a workspace's loaded rules (after a rule change); the next chunk reloads them.</summary>
    public void Invalidate(string workspaceId)
    {
        _generations.AddOrUpdate(workspaceId, 1, (_, g) => g + 1);
        _loaded.TryRemove(workspaceId, out _);
    }

    /// <summary>
    /// Processes everything after the checkpoint; returns how many events were evaluated (or, with no per-event rule,
    /// skipped: the checkpoint moves once per call, so commits gather in the worker's batch window before the next
    /// move, and a workspace under steady ingest cannot keep the worker to itself). Only while this instance
    /// holds the workspace's lease: another instance evaluating it (its lease not expired) makes this a no-op.
    /// </summary>
    public async Task<int> ProcessAsync(string workspaceId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var continuous = _heldUntil.TryGetValue(workspaceId, out var until) && until > now;
        // Right behind ingest this runs per commit: while more than half the lease is left, the renewal inside the
        // chunk's transaction is the only lease write (and the check that counts).
        if (!continuous || until - now < Lease / 2)
        {
            if (!await leases.TryAcquireAsync(LeaseName(workspaceId), Lease, ct))
            {
                _heldUntil.TryRemove(workspaceId, out _);
                return 0;
            }
            _heldUntil[workspaceId] = now + Lease;
        }
        if (!continuous) Invalidate(workspaceId);
        var total = 0;
        try
        {
            while (true)
            {
                var (processed, more) = await ProcessChunkAsync(workspaceId, ct);
                total += processed;
                if (processed == 0 || !more) return total;
            }
        }
        catch (LeaseLostException)
        {
            _heldUntil.TryRemove(workspaceId, out _);
            LogLeaseLost(workspaceId);
            return total;
        }
    }

    private const int MaxRuleReloads = 3;

    /// <summary>One chunk: the events it handled, and whether another chunk may follow at once.</summary>
    private async Task<(int Events, bool More)> ProcessChunkAsync(string workspaceId, CancellationToken ct, int attempt = 0)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var checkpoint = await db.DetectionCheckpoints.FindAsync([workspaceId], ct);
        var after = checkpoint?.LastSequence ?? 0;
        var generation = _generations.GetValueOrDefault(workspaceId);
        var rules = _loaded.TryGetValue(workspaceId, out var cached) && cached.Generation == generation
            ? cached
            : await LoadAsync(db, workspaceId, after, generation, ct);
        if (rules.RuleSet.Evaluators.Count == 0)
        {
            // No per-event rules: nothing to read; move the checkpoint to the head so a rule created later starts there.
            // The head and the rules are read in one statement (one snapshot): the rule set above may be stale, and a
            // rule committed before an event that the head includes must be seen, or that event would be skipped.
            var probe = await db.Workspaces.Where(w => w.Id == workspaceId)
                .Select(w => new
                {
                    Head = db.Events.Where(e => e.WorkspaceId == workspaceId).Max(e => (long?)e.Sequence) ?? 0,
                    HasRules = db.AlertRules.Any(r => r.WorkspaceId == workspaceId && r.Enabled
                        && !RuleSet.EvaluatedElsewhere.Contains(r.RuleType)),
                })
                .FirstOrDefaultAsync(ct);
            if (probe is null) return (0, false);
            if (probe.HasRules)
            {
                // A rule came in after the set above was read (this instance not yet told): reload and evaluate.
                if (attempt > 0) return (0, false);
                Invalidate(workspaceId);
                return await ProcessChunkAsync(workspaceId, ct, attempt + 1);
            }
            var head = probe.Head;
            if (_generations.GetValueOrDefault(workspaceId) == rules.Generation) _loaded[workspaceId] = rules;
            if (head <= after) return (0, false);
            if (checkpoint is null) db.DetectionCheckpoints.Add(checkpoint = new DetectionCheckpointRecord { WorkspaceId = workspaceId });
            checkpoint.LastSequence = head;
            checkpoint.UpdatedAt = Immutable.Domain.Chain.Timestamps.ToMicroseconds(time.GetUtcNow());
            await db.SaveChangesAsync(ct);
            // Counted as handled, and the last chunk of this call, so the worker lets the next commits gather before moving
            // the checkpoint again: at one event per request, a checkpoint write per commit was a second write
            // transaction per event and halved single-connection ingest.
            return ((int)Math.Min(int.MaxValue, head - after), false);
        }
        // Right behind ingest, the events just committed are still in memory; otherwise (restart, behind) read the store.
        var events = tail.TryRead(workspaceId, after, options.Value.ChunkSize)
            ?? (await db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == workspaceId && e.Sequence > after)
                .OrderBy(e => e.Sequence)
                .Take(options.Value.ChunkSize)
                .ToListAsync(ct)).Select(r => r.ToDomain()).ToList();
        if (events.Count == 0) return (0, false);
        // A rule changed here after the set above was taken (the worker can stall between the two reads): events
        // committed after that change may be among these, so they are evaluated with the changed rules. Bounded, so
        // rules edited without pause cannot stall detection; the notice of an edit on another instance arrives later
        // and applies from the next chunk.
        if (_generations.GetValueOrDefault(workspaceId) != rules.Generation && attempt < MaxRuleReloads)
            return await ProcessChunkAsync(workspaceId, ct, attempt + 1);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var writer = new AlertWriter(db, workspaceId, Immutable.Domain.Chain.Timestamps.ToMicroseconds(time.GetUtcNow()), rules.Correlations);
            await writer.PreloadAsync(events.Select(e => e.Content.Id.ToString("D")).ToList(), events.Min(e => e.OccurredAt), events.Max(e => e.OccurredAt), rules.MaxCooldownMinutes, ct);
            await PrimeMemoryAsync(db, rules.RuleSet, events, ct);
            foreach (var e in events)
                foreach (var hit in rules.RuleSet.Observe(e)) await writer.ApplyAsync(hit, ct);
            PersistMemory(db, rules);
            foreach (var memory in rules.RuleSet.Evaluators.OfType<IActorMemoryRule>()) memory.Trim();
            var incidentIds = await incidents.GroupAsync(db, workspaceId, writer.Created, [], ct);
            var notifications = await writer.EnqueueNotificationsAsync(publicUrl.Value.Base, ct);

            if (checkpoint is null)
                db.DetectionCheckpoints.Add(checkpoint = new DetectionCheckpointRecord { WorkspaceId = workspaceId });
            checkpoint.LastSequence = events[^1].Sequence;
            checkpoint.UpdatedAt = Immutable.Domain.Chain.Timestamps.ToMicroseconds(time.GetUtcNow());
            // Renewed inside the chunk's transaction: on PostgreSQL the lease row stays locked until the commit, so no
            // other instance takes the workspace over between this check and the commit of these alerts.
            var renewedAt = time.GetUtcNow().UtcDateTime;
            if (!await leases.TryAcquireAsync(db, LeaseName(workspaceId), Lease, ct)) throw new LeaseLostException();
            _heldUntil[workspaceId] = renewedAt + Lease;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            // Cache only if no rule changed meanwhile; otherwise the next chunk loads the new rules.
            if (_generations.GetValueOrDefault(workspaceId) == rules.Generation) _loaded[workspaceId] = rules;
            if (writer.Created.Count > 0) LogAlerts(writer.Created.Count, workspaceId, events[0].Sequence, events[^1].Sequence);
            writer.Publish(domainEvents, notifications);
            if (incidentIds.Count > 0) domainEvents.Publish(new IncidentsChanged(workspaceId, incidentIds));
            return (events.Count, true);
        }
        catch
        {
            // The in-memory rule state saw events whose effects were not committed: rebuild it from the store.
            Invalidate(workspaceId);
            throw;
        }
    }

    private async Task<WorkspaceRules> LoadAsync(ImmutableDbContext db, string workspaceId, long checkpoint, int generation, CancellationToken ct)
    {
        var records = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == workspaceId && r.Enabled).ToListAsync(ct);
        var rules = records.Select(r => r.ToDomain()).ToList();

        // Countries per actor and last travel fixes live in the store; only a bounded cache of them is held here,
        // primed per chunk for the actors it contains (PrimeMemoryAsync), so loading a workspace reads none of them.
        var ruleSet = new RuleSet(rules, RuleMemory.Empty, options.Value.MaxCachedGroups);

        // Rebuild sliding windows: replay the events a window can still reach, without alerting.
        var maxWindow = rules.Select(r => r.Conditions switch
        {
            RepeatedActionConditions c => c.WindowMinutes,
            HighVolumeDestructiveConditions c => c.WindowMinutes,
            _ => 0,
        }).DefaultIfEmpty(0).Max();
        if (maxWindow > 0 && checkpoint > 0)
        {
            var last = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence == checkpoint).Select(e => e.CreatedAt).FirstOrDefaultAsync(ct);
            var since = last.AddMinutes(-2 * maxWindow);
            var replay = db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == workspaceId && e.Sequence <= checkpoint && e.CreatedAt >= since)
                .OrderBy(e => e.Sequence)
                .AsAsyncEnumerable();
            var windowed = ruleSet.Evaluators.Where(e => e is RepeatedActionEvaluator or HighVolumeDestructiveEvaluator).ToList();
            await foreach (var row in replay.WithCancellation(ct))
            {
                var e = row.ToDomain();
                foreach (var evaluator in windowed) evaluator.Observe(e);
            }
        }
        return new WorkspaceRules(ruleSet, rules.Where(r => r.Type == RuleType.Correlation).ToList(), generation);
    }

    /// <summary>Loads from the store the memory of every actor of the chunk that the rules' caches lack.</summary>
    private async Task PrimeMemoryAsync(ImmutableDbContext db, RuleSet ruleSet, IReadOnlyList<Immutable.Domain.Events.AuditEvent> events, CancellationToken ct)
    {
        foreach (var evaluator in ruleSet.Evaluators)
        {
            if (evaluator is not IActorMemoryRule memory) continue;
            var missing = events.Select(memory.MemoryActor).OfType<string>().Where(a => !memory.IsCached(a)).Distinct(StringComparer.Ordinal).ToList();
            var ruleId = evaluator.Rule.Id;
            foreach (var batch in missing.Chunk(500))
            {
                switch (evaluator)
                {
                    case NewCountryEvaluator countries:
                        var seen = await memoryStore.CountriesAsync(db, ruleId, batch, ct);
                        foreach (var actor in batch) countries.Prime(actor, seen[actor].ToList());
                        break;
                    case ImpossibleTravelEvaluator travel:
                        var fixes = await memoryStore.TravelFixesAsync(db, ruleId, batch, ct);
                        foreach (var actor in batch) travel.Prime(actor, fixes.GetValueOrDefault(actor));
                        break;
                }
            }
        }
    }

    private void PersistMemory(ImmutableDbContext db, WorkspaceRules rules)
    {
        foreach (var evaluator in rules.RuleSet.Evaluators)
        {
            switch (evaluator)
            {
                case NewCountryEvaluator countries:
                    memoryStore.AddCountries(db, evaluator.Rule.Id, countries.DrainLearned());
                    break;
                case ImpossibleTravelEvaluator travel:
                    memoryStore.SaveTravelFixes(db, evaluator.Rule.Id, travel.DrainChanged());
                    break;
            }
        }
    }

    /// <summary>Workspaces whose newest event is past their checkpoint (the safety net's sweep).</summary>
    public async Task<IReadOnlyList<string>> LaggingWorkspacesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaces = await db.Workspaces.AsNoTracking().Select(w => w.Id).ToListAsync(ct);
        var lagging = new List<string>();
        foreach (var ws in workspaces)
        {
            var newest = await db.Events.Where(e => e.WorkspaceId == ws).MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
            var done = await db.DetectionCheckpoints.Where(c => c.WorkspaceId == ws).Select(c => (long?)c.LastSequence).FirstOrDefaultAsync(ct) ?? 0;
            if (newest > done) lagging.Add(ws);
        }
        return lagging;
    }

    [LoggerMessage(LogLevel.Information, "Detection raised {Count} alert(s) in workspace {Workspace} (events {From}..{To}).")]
    private partial void LogAlerts(int count, string workspace, long from, long to);

    [LoggerMessage(LogLevel.Warning, "Stream evaluation of workspace {Workspace} stopped: another instance took its lease over (this one stalled past the lease).")]
    private partial void LogLeaseLost(string workspace);
}
