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
    Incidents.IncidentGrouper incidents,
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
    private const int ParseChunk = 4096;
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

    private async Task<(bool Done, int Created)> PassAsync(string ws, int maxEvents, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var records = await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == ws && m.Enabled).OrderBy(m => m.Id).ToListAsync(ct);
        var monitors = records.Select(m => m.ToDomain()).ToList();
        var checkpoint = await db.MonitorCheckpoints.FindAsync([ws], ct);
        var after = checkpoint?.LastSequence ?? 0;
        var patterns = options.Value.ActionPatterns;
        using var sql = new MonitorStateSql(db);
        await sql.OpenAsync(ct);

        // One read of the new events: which windows of which (monitor, user) they fall in (every window from the first
        // that contains the earliest new event to the last that contains the latest one), and what they add to each
        // (monitor, user)'s 10-minute buckets. Only the buckets are kept, not the events.
        var span = new Dictionary<(int Monitor, string User), (DateTime Min, DateTime Max)>();
        var fresh = new Dictionary<(int Monitor, string User, long Day), double[]>();
        var last = after;
        // Parsing the query context is most of the cost: rows are parsed in chunks on every core, then counted in order.
        var chunk = new List<MonitorEventRow>(ParseChunk);
        var contexts = new QueryContext?[ParseChunk];
        void Count()
        {
            Parallel.For(0, chunk.Count, i => contexts[i] = ActionPattern.MatchesAny(patterns, chunk[i].Action) ? QueryContext.FromMetadataJson(chunk[i].Metadata) : null);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (contexts[i] is not { } context) continue;
                var e = chunk[i];
                var at = new DateTime(e.OccurredAtTicks, DateTimeKind.Utc);
                for (var m = 0; m < monitors.Count; m++)
                {
                    if (!monitors[m].Matches(context)) continue;
                    span[(m, e.ActorId)] = span.TryGetValue((m, e.ActorId), out var s) ? (Min(s.Min, at), Max(s.Max, at)) : (at, at);
                    var contribution = monitors[m].Contribution(context);
                    if (contribution == 0) continue;
                    var slot = MetricDays.SlotOf(at);
                    var day = MetricDays.DayOf(slot);
                    if (!fresh.TryGetValue((m, e.ActorId, day), out var buckets)) fresh[(m, e.ActorId, day)] = buckets = new double[MetricDays.SlotsPerDay];
                    buckets[slot - day * MetricDays.SlotsPerDay] += contribution;
                }
            }
            chunk.Clear();
        }
        var read = await sql.NewEventsAsync(ws, after, maxEvents, e =>
        {
            last = e.Sequence;
            if (monitors.Count == 0) return;
            chunk.Add(e);
            if (chunk.Count == ParseChunk) Count();
        }, ct);
        Count();
        if (read == 0 || monitors.Count == 0)
        {
            if (read > 0) await AdvanceAsync(db, ws, checkpoint, last, ct);
            return (true, 0);
        }

        var affected = span.ToDictionary(kv => kv.Key, kv => WindowEnds(kv.Value.Min, kv.Value.Max, monitors[kv.Key.Monitor].TimeframeMinutes));

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var since = await StatesAsync(sql, ws, records, patterns, after, ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var created = new List<ObservationRecord>();
        var evidence = new List<(ObservationRecord Observation, List<(string EventId, long At)> Events)>();
        var profiles = new ProfileIds(ws, await ProfilesAsync(db, ws, affected.Keys.Select(k => k.User).Distinct().ToList(), ct));
        var dayBuffer = new double[MetricDays.SlotsPerDay];
        foreach (var userGroup in affected.GroupBy(a => a.Key.User))
        {
            var user = userGroup.Key;
            var marksOf = new Dictionary<int, List<ObservationMark>>();
            foreach (var ((m, _), _) in userGroup)
                marksOf[m] = (await sql.MarksAsync(ws, monitors[m].Id, user, ct))
                    .Select(o => new ObservationMark(new DateTime(o.WindowEndTicks, DateTimeKind.Utc), WireName.Parse<Severity>(o.Severity))).ToList();
            // The range of buckets every monitor of this user is evaluated over: the widest span any of them needs.
            var from = DateTime.MaxValue;
            var to = DateTime.MinValue;
            foreach (var ((m, _), ends) in userGroup)
            {
                var timeframe = TimeSpan.FromMinutes(monitors[m].TimeframeMinutes);
                var first = ends.Min();
                var lastEnd = ends.Max();
                // Back to the latest observation before the first affected window (whether the run still holds it),
                // forward to the latest one after the last (late events may join runs already observed).
                var earlier = marksOf[m].Where(o => o.WindowEnd < first && o.WindowEnd >= first - EpisodeLookback).Select(o => o.WindowEnd).DefaultIfEmpty(first).Max();
                var later = marksOf[m].Where(o => o.WindowEnd > lastEnd && o.WindowEnd <= lastEnd + EpisodeLookback).Select(o => o.WindowEnd).DefaultIfEmpty(lastEnd).Max();
                from = Min(from, earlier - timeframe - MonitorWindows.Step);
                to = Max(to, later + MonitorWindows.Step);
            }
            var buckets = await UserBucketsAsync(sql, ws, user, userGroup.Select(g => g.Key.Monitor).ToList(), monitors, since, fresh, from, to, last, patterns, dayBuffer, ct);

            foreach (var ((m, _), ends) in userGroup)
            {
                var monitor = monitors[m];
                var marks = marksOf[m];
                var everObserved = marks.Count > 0;
                foreach (var breach in MonitorWindows.Breaches(monitor, new BucketTimeline(from, buckets[m]), ends, marks))
                {
                    var notify = monitor.Notify switch
                    {
                        NotifyMode.Never => false,
                        NotifyMode.Each => true,
                        NotifyMode.FirstPerUser => !everObserved,
                    };
                    everObserved = true;
                    // Only events that add to the metric are evidence (a successful query is not evidence of unauthorized ones).
                    var events = new List<(string EventId, long At)>();
                    foreach (var row in await sql.UserEventsAsync(ws, user, breach.WindowStart.Ticks, breach.WindowEnd.Ticks, last, ct))
                    {
                        if (!ActionPattern.MatchesAny(patterns, row.Action)) continue;
                        var context = QueryContext.FromMetadataJson(row.Metadata);
                        if (monitor.Matches(context) && monitor.Contribution(context) > 0) events.Add((row.Id, row.OccurredAtTicks));
                    }
                    var observation = NewObservation(ws, monitor, user, breach, events.Count, notify, now, profiles.For(user));
                    evidence.Add((observation, events));
                    created.Add(observation);
                }
            }
        }
        // One save for the observations (their row ids), then the evidence rows through one prepared statement.
        db.UserProfiles.AddRange(profiles.Added);
        db.Observations.AddRange(created);
        var incidentIds = await incidents.GroupAsync(db, ws, [], created, ct);
        await db.SaveChangesAsync(ct);
        foreach (var (observation, events) in evidence)
            foreach (var (eventId, at) in events) await sql.AddObservationEventAsync(observation.RowId, eventId, at, ct);
        var byId = monitors.ToDictionary(m => m.Id);
        var notifications = await Immutable.Web.Delivery.Webhook.WebhookOutbox.EnqueueAsync(db, ws, Immutable.Web.Delivery.Webhook.WebhookOutbox.Observations,
            created.Where(o => o.NotificationRequired && byId[o.MonitorId].Channels.Contains(Channel.Webhook))
                .Select(o => ("observation.created", o.Id, ObservationNotification.Payload(o, publicUrl.Value.Base))).ToList(), now, ct);
        Immutable.Web.Delivery.Email.EmailQueue.Observations(db,
            created.Where(o => o.NotificationRequired && byId[o.MonitorId].Channels.Contains(Channel.Email)), publicUrl.Value.Base, now);
        foreach (var monitor in monitors) await sql.AdvanceAsync(ws, monitor.Id, last, ct);
        await AdvanceAsync(db, ws, checkpoint, last, ct);
        await transaction.CommitAsync(ct);
        if (notifications > 0) events.Publish(new DeliveriesEnqueued(ws));
        if (incidentIds.Count > 0) events.Publish(new IncidentsChanged(ws, incidentIds));
        if (created.Count > 0)
        {
            LogObservations(created.Count, ws);
            events.Publish(new ObservationsCommitted(ws, created.Select(o => ObservationJson.From(o, publicUrl.Value.Base)).ToList()));
        }
        return (read < maxEvents, created.Count);
    }

    /// <summary>
    /// Each enabled monitor's persisted state, started over when it is new, its definition (or the query action
    /// patterns) changed, or it missed passes (disabled meanwhile); states of monitors no longer enabled are dropped.
    /// Returns, per monitor, the sequence its buckets count from (<see cref="MonitorStateRecord.SinceSequence"/>).
    /// </summary>
    private static async Task<long[]> StatesAsync(MonitorStateSql sql, string ws, List<MonitorRecord> records, IReadOnlyList<string> patterns, long after, CancellationToken ct)
    {
        var states = await sql.StatesAsync(ws, ct);
        var since = new long[records.Count];
        for (var m = 0; m < records.Count; m++)
        {
            var hash = DefinitionHash(records[m].Definition, patterns);
            if (states.Remove(records[m].Id, out var state) && state.DefinitionHash == hash && state.ThroughSequence == after)
            {
                since[m] = state.SinceSequence;
                continue;
            }
            await sql.ResetAsync(ws, records[m].Id, new MonitorStateRecord
            {
                WorkspaceId = ws, MonitorId = records[m].Id, DefinitionHash = hash, SinceSequence = after, ThroughSequence = after,
            }, ct);
            since[m] = after;
        }
        foreach (var stale in states.Keys) await sql.ResetAsync(ws, stale, null, ct);
        return since;
    }

    private static string DefinitionHash(string definition, IReadOnlyList<string> patterns) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(definition + "\n" + string.Join("\n", patterns))));

    /// <summary>
    /// The user's buckets of each monitor over [<paramref name="from"/>, <paramref name="to"/>): the stored days plus this
    /// pass's new events, saved back. A day without a stored row is empty if the monitor's state counts from the
    /// beginning of the store; otherwise it is counted from the user's stored events once, and saved (empty or not).
    /// </summary>
    private static async Task<Dictionary<int, double[]>> UserBucketsAsync(MonitorStateSql sql, string ws, string user, List<int> wanted,
        List<ActivityMonitor> monitors, long[] since, Dictionary<(int Monitor, string User, long Day), double[]> fresh,
        DateTime from, DateTime to, long last, IReadOnlyList<string> patterns, double[] dayBuffer, CancellationToken ct)
    {
        var fromSlot = MetricDays.Slot(from);
        var toSlot = MetricDays.Slot(to);
        var (fromDay, toDay) = (MetricDays.DayOf(fromSlot), MetricDays.DayOf(toSlot - 1));
        var stored = new Dictionary<(string Monitor, long Day), byte[]>();
        foreach (var (monitorId, day, bytes) in await sql.BucketDaysAsync(ws, user, fromDay, toDay, ct)) stored[(monitorId, day)] = bytes;

        // Days never counted for a monitor whose state started after the store did: count them from the events.
        var counted = new Dictionary<(int Monitor, long Day), double[]>();
        foreach (var m in wanted)
        {
            if (since[m] == 0) continue;
            for (var day = fromDay; day <= toDay; day++)
                if (!stored.ContainsKey((monitors[m].Id, day))) counted[(m, day)] = new double[MetricDays.SlotsPerDay];
        }
        if (counted.Count > 0)
        {
            var first = counted.Keys.Min(k => k.Day);
            var lastDay = counted.Keys.Max(k => k.Day);
            foreach (var row in await sql.UserEventsAsync(ws, user, first * TimeSpan.TicksPerDay, (lastDay + 1) * TimeSpan.TicksPerDay, last, ct))
            {
                if (!ActionPattern.MatchesAny(patterns, row.Action)) continue;
                var context = QueryContext.FromMetadataJson(row.Metadata);
                var slot = MetricDays.SlotOf(new DateTime(row.OccurredAtTicks, DateTimeKind.Utc));
                var day = MetricDays.DayOf(slot);
                foreach (var m in wanted)
                    if (counted.TryGetValue((m, day), out var target) && monitors[m].Matches(context))
                        target[slot - day * MetricDays.SlotsPerDay] += monitors[m].Contribution(context);
            }
            foreach (var ((m, day), values) in counted) await sql.SaveBucketDayAsync(ws, user, day, monitors[m].Id, MetricDays.Encode(values), ct);
        }

        var result = new Dictionary<int, double[]>();
        foreach (var m in wanted)
        {
            var values = new double[toSlot - fromSlot];
            for (var day = fromDay; day <= toDay; day++)
            {
                Array.Clear(dayBuffer);
                if (counted.TryGetValue((m, day), out var fromEvents)) fromEvents.CopyTo(dayBuffer, 0);
                else
                {
                    var has = stored.TryGetValue((monitors[m].Id, day), out var bytes);
                    if (has) MetricDays.AddTo(bytes, dayBuffer);
                    if (fresh.TryGetValue((m, user, day), out var added))
                    {
                        for (var i = 0; i < dayBuffer.Length; i++) dayBuffer[i] += added[i];
                        await sql.SaveBucketDayAsync(ws, user, day, monitors[m].Id, MetricDays.Encode(dayBuffer), ct);
                    }
                    else if (!has) continue;
                }
                var dayStart = day * MetricDays.SlotsPerDay;
                for (var i = 0; i < MetricDays.SlotsPerDay; i++)
                {
                    var at = dayStart + i - fromSlot;
                    if (at >= 0 && at < values.Length) values[at] = dayBuffer[i];
                }
            }
            result[m] = values;
        }
        return result;
    }

    private static List<DateTime> WindowEnds(DateTime earliest, DateTime latest, int timeframeMinutes)
    {
        var ends = new List<DateTime>();
        var last = MonitorWindows.FirstEndAfter(latest) + TimeSpan.FromMinutes(timeframeMinutes) - MonitorWindows.Step;
        for (var end = MonitorWindows.FirstEndAfter(earliest); end <= last; end += MonitorWindows.Step) ends.Add(end);
        return ends;
    }

    private static ObservationRecord NewObservation(string ws, ActivityMonitor monitor, string user, WindowBreach draft, int eventCount, bool notify, DateTime now, long profileId)
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
            RelatedEventCount = eventCount,
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
