using Immutable.Domain.Alerts;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Domain.Monitors;
using Immutable.Domain.Rules;
using Immutable.Web.Detection;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Monitors;

/// <summary>
/// Evaluates a workspace's monitors over the query events after its monitor checkpoint.
/// For each (monitor, user) touched by new events, the windows containing those events are (re)evaluated over
/// the user's stored events, late ones included, and the episode rule of <see cref="MonitorWindows"/> decides
/// which observations to create. Observations, their events and the checkpoint commit in one transaction;
/// observation ids are derived from (monitor, user, window, severity) under a unique index.
/// </summary>
public sealed partial class MonitorEvaluator(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    TimeProvider time,
    IOptions<QueryActivityOptions> options,
    IOptions<PublicUrlOptions> publicUrl,
    IDomainEvents events,
    LeaseStore leases,
    ILogger<MonitorEvaluator> logger) : IDisposable
{
    /// <summary>
    /// A workspace's monitors are evaluated by one instance at a time: the lease <c>monitors:&lt;workspace&gt;</c>,
    /// taken before and renewed before every pass. An instance that finds it held skips the workspace; after a crash
    /// another takes it over at its next evaluation once the lease has expired (within 20 s + <c>Monitors:EvaluationSeconds</c>).
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(20);

    public static string LeaseName(string workspaceId) => "monitors:" + workspaceId;

    private static readonly TimeSpan EpisodeLookback = TimeSpan.FromDays(7);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Evaluates every workspace that has enabled monitors; returns the observations created.</summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        List<string> workspaces;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            workspaces = await db.Monitors.Where(m => m.Enabled).Select(m => m.WorkspaceId).Distinct().ToListAsync(ct);
        var created = 0;
        foreach (var ws in workspaces) created += await EvaluateWorkspaceAsync(ws, int.MaxValue, ct);
        return created;
    }

    public async Task<int> EvaluateWorkspaceAsync(string workspaceId, int maxEventsPerPass, CancellationToken ct)
    {
        await _oneAtATime.WaitAsync(ct);
        try
        {
            var created = 0;
            while (true)
            {
                if (!await leases.TryAcquireAsync(LeaseName(workspaceId), Lease, ct)) return created;
                var (done, count) = await PassAsync(workspaceId, Math.Min(maxEventsPerPass, options.Value.MaxEventsPerPass), ct);
                created += count;
                if (done) return created;
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Sets the workspace's checkpoint to its newest event if it has none: monitors watch from their creation on.</summary>
    public async Task StartWatchingAsync(ImmutableDbContext db, string workspaceId, CancellationToken ct)
    {
        if (await db.MonitorCheckpoints.AnyAsync(c => c.WorkspaceId == workspaceId, ct)) return;
        var head = await db.Events.Where(e => e.WorkspaceId == workspaceId).MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
        db.MonitorCheckpoints.Add(new MonitorCheckpointRecord { WorkspaceId = workspaceId, LastSequence = head, UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow()) });
        await db.SaveChangesAsync(ct);
    }

    private sealed record QueryEvent(string Id, string ActorId, DateTime OccurredAt, QueryContext Context);

    private async Task<(bool Done, int Created)> PassAsync(string ws, int maxEvents, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var monitors = (await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == ws && m.Enabled).ToListAsync(ct)).Select(m => m.ToDomain()).ToList();
        var checkpoint = await db.MonitorCheckpoints.FindAsync([ws], ct);
        var after = checkpoint?.LastSequence ?? 0;
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.Sequence > after)
            .OrderBy(e => e.Sequence)
            .Take(maxEvents)
            .Select(e => new { e.Id, e.ActorId, e.Action, e.Metadata, e.OccurredAt, e.Sequence })
            .ToListAsync(ct);
        if (rows.Count == 0 || monitors.Count == 0)
        {
            if (rows.Count > 0) await AdvanceAsync(db, ws, checkpoint, rows[^1].Sequence, ct);
            return (true, 0);
        }

        var patterns = options.Value.ActionPatterns;
        var fresh = rows.Where(r => ActionPattern.MatchesAny(patterns, r.Action))
            .Select(r => new QueryEvent(r.Id, r.ActorId, r.OccurredAt, QueryContext.FromMetadataJson(r.Metadata)))
            .ToList();

        // Which windows of which (monitor, user) the new events fall in: every window from the first that contains
        // the earliest new event to the last that contains the latest one (windows in between without events cost
        // one lookup each and cannot breach).
        var span = new Dictionary<(int Monitor, string User), (DateTime Min, DateTime Max)>();
        foreach (var e in fresh)
        {
            for (var m = 0; m < monitors.Count; m++)
            {
                if (!monitors[m].Matches(e.Context)) continue;
                span[(m, e.ActorId)] = span.TryGetValue((m, e.ActorId), out var s)
                    ? (Min(s.Min, e.OccurredAt), Max(s.Max, e.OccurredAt))
                    : (e.OccurredAt, e.OccurredAt);
            }
        }
        var affected = span.ToDictionary(kv => kv.Key, kv => WindowEnds(kv.Value.Min, kv.Value.Max, monitors[kv.Key.Monitor].TimeframeMinutes));
        var parsed = fresh.ToDictionary(e => e.Id, e => e.Context, StringComparer.Ordinal);

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var created = new List<ObservationRecord>();
        var evidence = new List<(ObservationRecord Observation, List<(string EventId, DateTime At)> Events)>();
        var profiles = new ProfileIds(ws, await ProfilesAsync(db, ws, affected.Keys.Select(k => k.User).Distinct().ToList(), ct));
        foreach (var userGroup in affected.GroupBy(a => a.Key.User))
        {
            var user = userGroup.Key;
            var stored = await db.Observations.AsNoTracking()
                .Where(o => o.WorkspaceId == ws && o.UserId == user)
                .Select(o => new { o.MonitorId, o.WindowEnd, o.Severity })
                .ToListAsync(ct);
            // One load of the user's query events for every monitor: the widest span any of them needs.
            var from = DateTime.MaxValue;
            var to = DateTime.MinValue;
            foreach (var ((m, _), ends) in userGroup)
            {
                var timeframe = TimeSpan.FromMinutes(monitors[m].TimeframeMinutes);
                var marks = stored.Where(o => o.MonitorId == monitors[m].Id).Select(o => o.WindowEnd).ToList();
                var first = ends.Min();
                var last = ends.Max();
                // Back to the latest observation before the first affected window (whether the run still holds it),
                // forward to the latest one after the last (late events may join runs already observed).
                var earlier = marks.Where(w => w < first && w >= first - EpisodeLookback).DefaultIfEmpty(first).Max();
                var later = marks.Where(w => w > last && w <= last + EpisodeLookback).DefaultIfEmpty(last).Max();
                from = Min(from, earlier - timeframe - MonitorWindows.Step);
                to = Max(to, later + MonitorWindows.Step);
            }
            var history = await LoadUserQueriesAsync(db, ws, user, from, to, patterns, parsed, ct);

            foreach (var ((m, _), ends) in userGroup)
            {
                var monitor = monitors[m];
                // Only events that add to the metric are evidence (a successful query is not evidence of unauthorized ones).
                var timeline = new UserTimeline(history.Where(h => monitor.Matches(h.Context))
                    .Select(h => new UserActivity(h.OccurredAt, monitor.Contribution(h.Context), Guid.Parse(h.Id)))
                    .Where(a => a.Contribution > 0));
                var marks = stored.Where(o => o.MonitorId == monitor.Id)
                    .Select(o => new ObservationMark(o.WindowEnd, o.Severity)).ToList();
                var everObserved = marks.Count > 0;
                foreach (var draft in MonitorWindows.Evaluate(monitor, timeline, ends, marks))
                {
                    var notify = monitor.Notify switch
                    {
                        NotifyMode.Never => false,
                        NotifyMode.Each => true,
                        NotifyMode.FirstPerUser => !everObserved,
                    };
                    everObserved = true;
                    var observation = NewObservation(ws, monitor, user, draft, notify, now, profiles.For(user));
                    var times = history.ToDictionary(h => h.Id, h => h.OccurredAt);
                    evidence.Add((observation, draft.EventIds.Select(id => (id.ToString("D"), times[id.ToString("D")])).ToList()));
                    created.Add(observation);
                }
            }
        }
        // Two saves per pass, not several per observation: the change tracker's cost grows with what it tracks.
        db.UserProfiles.AddRange(profiles.Added);
        db.Observations.AddRange(created);
        await db.SaveChangesAsync(ct);
        foreach (var (observation, events) in evidence)
            db.ObservationEvents.AddRange(events.Select(e => new ObservationEventRecord { ObservationRowId = observation.RowId, EventId = e.EventId, OccurredAt = e.At }));
        var byId = monitors.ToDictionary(m => m.Id);
        var notifications = await Immutable.Web.Delivery.Webhook.WebhookOutbox.EnqueueAsync(db, ws, Immutable.Web.Delivery.Webhook.WebhookOutbox.Observations,
            created.Where(o => o.NotificationRequired && byId[o.MonitorId].Channels.Contains(Channel.Webhook))
                .Select(o => ("observation.created", o.Id, ObservationNotification.Payload(o, publicUrl.Value.Base))).ToList(), now, ct);
        Immutable.Web.Delivery.Email.EmailQueue.Observations(db,
            created.Where(o => o.NotificationRequired && byId[o.MonitorId].Channels.Contains(Channel.Email)), publicUrl.Value.Base, now);
        await AdvanceAsync(db, ws, checkpoint, rows[^1].Sequence, ct);
        await transaction.CommitAsync(ct);
        if (notifications > 0) events.Publish(new DeliveriesEnqueued(ws));
        if (created.Count > 0)
        {
            LogObservations(created.Count, ws);
            events.Publish(new ObservationsCommitted(ws, created.Select(o => ObservationJson.From(o, publicUrl.Value.Base)).ToList()));
        }
        return (rows.Count < maxEvents, created.Count);
    }

    private static List<DateTime> WindowEnds(DateTime earliest, DateTime latest, int timeframeMinutes)
    {
        var ends = new List<DateTime>();
        var last = MonitorWindows.FirstEndAfter(latest) + TimeSpan.FromMinutes(timeframeMinutes) - MonitorWindows.Step;
        for (var end = MonitorWindows.FirstEndAfter(earliest); end <= last; end += MonitorWindows.Step) ends.Add(end);
        return ends;
    }

    private static async Task<List<QueryEvent>> LoadUserQueriesAsync(ImmutableDbContext db, string ws, string user, DateTime from, DateTime to,
        IReadOnlyList<string> patterns, Dictionary<string, QueryContext> alreadyParsed, CancellationToken ct)
    {
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.ActorId == user && e.OccurredAt >= from && e.OccurredAt < to)
            .Select(e => new { e.Id, e.Action, e.Metadata, e.OccurredAt })
            .ToListAsync(ct);
        return rows.Where(r => ActionPattern.MatchesAny(patterns, r.Action))
            .Select(r => new QueryEvent(r.Id, user, r.OccurredAt, alreadyParsed.TryGetValue(r.Id, out var c) ? c : QueryContext.FromMetadataJson(r.Metadata)))
            .ToList();
    }

    private static ObservationRecord NewObservation(string ws, ActivityMonitor monitor, string user, ObservationDraft draft, bool notify, DateTime now, long profileId)
    {
        var severity = draft.Threshold.Severity;
        return new ObservationRecord
        {
            Id = ObservationId(ws, monitor.Id, user, draft.WindowEnd, WireName.Of(severity)),
            WorkspaceId = ws,
            MonitorId = monitor.Id,
            MonitorName = monitor.Name,
            Metric = WireName.Of(monitor.Metric),
            UserId = user,
            ProfileId = profileId,
            Severity = severity,
            MetricValue = draft.MetricValue,
            Threshold = draft.Threshold.Value,
            WindowStart = draft.WindowStart,
            WindowEnd = draft.WindowEnd,
            Message = MonitorWindows.Message(monitor, draft.Threshold),
            Status = AlertStatus.Open,
            CreatedAt = now,
            NotificationRequired = notify,
            RelatedEventCount = draft.EventIds.Count,
        };
    }

    private static async Task<(Dictionary<string, long> Known, long Max)> ProfilesAsync(ImmutableDbContext db, string ws, List<string> users, CancellationToken ct)
    {
        var known = await db.UserProfiles.AsNoTracking().Where(p => p.WorkspaceId == ws && users.Contains(p.ActorId)).ToDictionaryAsync(p => p.ActorId, p => p.ProfileId, ct);
        var max = await db.UserProfiles.Where(p => p.WorkspaceId == ws).MaxAsync(p => (long?)p.ProfileId, ct) ?? 0;
        return (known, max);
    }

    /// <summary>Users' opaque profile ids in this workspace, assigned on first need (1, 2, 3...).</summary>
    private sealed class ProfileIds(string workspaceId, (Dictionary<string, long> Known, long Max) loaded)
    {
        private readonly Dictionary<string, long> _known = loaded.Known;
        private long _max = loaded.Max;

        public List<UserProfileRecord> Added { get; } = [];

        public long For(string user)
        {
            if (_known.TryGetValue(user, out var id)) return id;
            _known[user] = ++_max;
            Added.Add(new UserProfileRecord { WorkspaceId = workspaceId, ActorId = user, ProfileId = _max });
            return _max;
        }
    }

    private async Task AdvanceAsync(ImmutableDbContext db, string ws, MonitorCheckpointRecord? checkpoint, long sequence, CancellationToken ct)
    {
        if (checkpoint is null) db.MonitorCheckpoints.Add(checkpoint = new MonitorCheckpointRecord { WorkspaceId = ws });
        checkpoint.LastSequence = sequence;
        checkpoint.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
    }

    public static string ObservationId(string ws, string monitorId, string user, DateTime windowEnd, string severity) =>
        Immutable.Domain.Alerts.RecordIds.Derive("obs_", ws, monitorId, user, windowEnd.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), severity);

    public void Dispose() => _oneAtATime.Dispose();

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    [LoggerMessage(LogLevel.Information, "Monitors created {Count} observation(s) in workspace {Workspace}.")]
    private partial void LogObservations(int count, string workspace);
}
