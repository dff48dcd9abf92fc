using System.Diagnostics;
using System.Globalization;
using Immutable.Domain.Events;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Bench;

internal static class MonitorBench
{
    private static readonly DateTime Start = new(2026, 3, 20, 0, 0, 0, DateTimeKind.Utc);
    private static readonly long StepTicks = TimeSpan.FromMinutes(10).Ticks;

    /// <summary>
    /// One monitor (query_count per user of PII tables, 1-day timeframe, thresholds 40 low / 60 high) evaluated over
    /// <paramref name="events"/> stored query events of <paramref name="users"/> users spread over 7 days, with the app's
    /// MonitorEvaluator over a real SQLite file; in the same run, over the same rows of the same file, the same windows
    /// as one SQL query with window functions (the ceiling). Asserts both find the same (user, window) observations.
    /// Then the incremental figure: passes over <paramref name="increment"/> new events each, history evaluated.
    /// Then the same from scratch and incrementally with 10 monitors of mixed metrics.
    /// </summary>
    /// <param name="data">A folder to keep the seeded store in and reuse on the next run (for profiling); null: a temp folder.</param>
    public static async Task<int> RunAsync(int events, int users, int perPass, int increment, string? results, string? data = null)
    {
        var reuse = data is not null && File.Exists(Path.Combine(data, "immutable.db"));
        await using var host = await BenchHost.StartAsync(
            new Dictionary<string, string?> { ["Monitors:MaxEventsPerPass"] = perPass.ToString(CultureInfo.InvariantCulture) },
            b => b.AddMonitors(), data);
        var ws = host.WorkspaceId;
        var log = host.Services.GetRequiredService<IEventLog>();
        var dbFactory = host.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        var evaluator = host.Services.GetRequiredService<MonitorEvaluator>();
        var spacing = TimeSpan.FromDays(7) / events;
        var seed = Stopwatch.StartNew();
        if (reuse)
        {
            // The events of an earlier run with the same sizes; what it evaluated and appended after them is dropped.
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync("DELETE FROM observation_events; DELETE FROM observations; DELETE FROM monitor_bucket_days; DELETE FROM monitor_states; DELETE FROM monitor_checkpoints; DELETE FROM monitors; DELETE FROM user_profiles;");
            await db.Events.Where(e => e.WorkspaceId == ws && e.Sequence > events).ExecuteDeleteAsync();
        }
        else await AppendAsync(log, ws, 0, events, users, spacing);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {events} query events of {users} users over 7 days in {seed.Elapsed.TotalSeconds:F1} s"));

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Monitors.Add(Monitor(ws, "mon_bench", "queries per user per day", """{"tags":["PII"],"sensitivity":null,"outcome":null,"min_duration_ms":null}""",
                "all", null, "query_count", 1440, """[{"value":40,"severity":"low"},{"value":60,"severity":"high"}]"""));
            await db.SaveChangesAsync();
        }

        // The ceiling: the same windows as one SQL query, on its own connection to the same file.
        var ceilingClock = Stopwatch.StartNew();
        var expected = Ceiling(host.DatabasePath, ws);
        ceilingClock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ceiling (one SQL query with window functions): {ceilingClock.Elapsed.TotalSeconds:F2} s, {expected.Count} observations"));

        var (seconds, observations, peakMb, allocatedMb) = await MeasureAsync(() => evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"monitor evaluation: {events} events, {users} users, 1-day timeframe, {perPass} events per pass: {seconds:F2} s, {observations} observations; peak working set {peakMb} MB, allocated {allocatedMb} MB"));
        var actual = await ObservedAsync(dbFactory, ws, "mon_bench");
        var same = actual.SetEquals(expected) && actual.Count == observations;
        Console.WriteLine(same
            ? "observations: the same (user, window) pairs as the ceiling"
            : $"MISMATCH: product {actual.Count} ({observations} created), ceiling {expected.Count}; only product: {string.Join(", ", actual.Except(expected).Take(5))}; only ceiling: {string.Join(", ", expected.Except(actual).Take(5))}");
        BenchResults.Record(results, "monitor.events", events);
        BenchResults.Record(results, "monitor.seconds", seconds);
        BenchResults.Record(results, "monitor.peak_mb", peakMb);
        BenchResults.Record(results, "monitor.observations", observations);
        BenchResults.Record(results, "ceiling.monitor_sql.seconds", ceilingClock.Elapsed.TotalSeconds);
        BenchResults.Record(results, "ceiling.monitor_sql.observations", expected.Count);
        BenchResults.Record(results, "monitor.same_observations", same ? 1 : 0);

        var next = events;
        var passMs = await IncrementalAsync(log, evaluator, ws, users, spacing, increment, next);
        next += 3 * increment;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"incremental: {passMs:F1} ms per pass of {increment} new events (1 monitor, history evaluated)"));
        BenchResults.Record(results, "monitor.incremental_ms", passMs);
        BenchResults.Record(results, "monitor.increment_events", increment);

        // Ten monitors of mixed metrics, evaluated from scratch over everything stored, then incrementally.
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            foreach (var (id, conditions, scope, value, metric, timeframe, thresholds) in MixedMonitors())
                db.Monitors.Add(Monitor(ws, id, id, conditions, scope, value, metric, timeframe, thresholds));
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlRawAsync("DELETE FROM observation_events; DELETE FROM observations; DELETE FROM monitor_bucket_days; DELETE FROM monitor_states; DELETE FROM monitor_checkpoints;");
        }
        var (seconds10, observations10, peakMb10, _) = await MeasureAsync(() => evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"10 monitors of mixed metrics from scratch over {next} events: {seconds10:F2} s, {observations10} observations, peak working set {peakMb10} MB"));
        var passMs10 = await IncrementalAsync(log, evaluator, ws, users, spacing, increment, next);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"incremental: {passMs10:F1} ms per pass of {increment} new events (10 monitors)"));
        BenchResults.Record(results, "monitor10.seconds", seconds10);
        BenchResults.Record(results, "monitor10.events", next);
        BenchResults.Record(results, "monitor10.peak_mb", peakMb10);
        BenchResults.Record(results, "monitor10.observations", observations10);
        BenchResults.Record(results, "monitor10.incremental_ms", passMs10);
        return same ? 0 : 1;
    }

    private static async Task AppendAsync(IEventLog log, string ws, int from, int count, int users, TimeSpan spacing)
    {
        for (var i = from; i < from + count; i += 2000)
        {
            var batch = Enumerable.Range(i, Math.Min(2000, from + count - i)).Select(n => new EventContent
            {
                Id = Guid.NewGuid(),
                ActorId = $"user_{n % users}",
                Action = "query.executed",
                OccurredAt = Start + n * spacing,
                MetadataJson = $$"""{"data_source":"warehouse","rows":{{n % 500}},"schema":"prod","sensitivity":"{{(n % 7 == 0 ? "highly_sensitive" : "sensitive")}}","outcome":"{{(n % 50 == 0 ? "unauthorized" : "success")}}","table_tags":["{{(n % 3 == 0 ? "PII" : "ops")}}"]}""",
            }).ToList();
            await log.AppendAsync(ws, batch, default);
        }
    }

    /// <summary>Three passes, each after <paramref name="increment"/> new events continuing the timeline; the mean time per pass.</summary>
    private static async Task<double> IncrementalAsync(IEventLog log, MonitorEvaluator evaluator, string ws, int users, TimeSpan spacing, int increment, int next)
    {
        var total = TimeSpan.Zero;
        for (var pass = 0; pass < 3; pass++)
        {
            await AppendAsync(log, ws, next + pass * increment, increment, users, spacing);
            var clock = Stopwatch.StartNew();
            await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default);
            total += clock.Elapsed;
        }
        return total.TotalMilliseconds / 3;
    }

    private static async Task<(double Seconds, int Observations, long PeakMb, long AllocatedMb)> MeasureAsync(Func<Task<int>> evaluate)
    {
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var stop = new CancellationTokenSource();
        var peak = 0L;
        var sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(20, CancellationToken.None);
            }
        });
        var clock = Stopwatch.StartNew();
        var observations = await evaluate();
        clock.Stop();
        await stop.CancelAsync();
        await sampler;
        return (clock.Elapsed.TotalSeconds, observations, peak / 1048576, (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576);
    }

    private static async Task<HashSet<(string User, long WindowEnd)>> ObservedAsync(IDbContextFactory<ImmutableDbContext> dbFactory, string ws, string monitorId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return (await db.Observations.AsNoTracking().Where(o => o.WorkspaceId == ws && o.MonitorId == monitorId)
            .Select(o => new { o.UserId, o.WindowEnd }).ToListAsync())
            .Select(o => (o.UserId, o.WindowEnd.Ticks)).ToHashSet();
    }

    /// <summary>
    /// The bench monitor's windows as one SQLite query: matching events counted per (user, 10-minute bucket), a day's
    /// sum per bucket with a window function (144 buckets: RANGE 143 PRECEDING), severity by threshold, and an
    /// observation where the severity rises over the previous row's (lag): episode starts and escalations.
    /// </summary>
    private static HashSet<(string User, long WindowEnd)> Ceiling(string databasePath, string ws)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            WITH q AS (
                SELECT actor_id AS u, occurred_at / $step AS b, COUNT(*) AS n
                FROM events
                WHERE workspace_id = $w AND action GLOB 'query.*'
                  AND EXISTS (SELECT 1 FROM json_each(metadata, '$.table_tags') WHERE value = 'PII' COLLATE NOCASE
                              UNION ALL SELECT 1 FROM json_each(metadata, '$.column_tags') WHERE value = 'PII' COLLATE NOCASE
                              UNION ALL SELECT 1 FROM json_each(metadata, '$.classification_tags') WHERE value = 'PII' COLLATE NOCASE)
                GROUP BY u, b),
            w AS (SELECT u, b, SUM(n) OVER (PARTITION BY u ORDER BY b RANGE BETWEEN 143 PRECEDING AND CURRENT ROW) AS total FROM q),
            s AS (SELECT u, b, CASE WHEN total > 60 THEN 2 WHEN total > 40 THEN 1 ELSE 0 END AS sev FROM w),
            p AS (SELECT u, b, sev, lag(sev, 1, 0) OVER (PARTITION BY u ORDER BY b) AS prev FROM s)
            SELECT u, b + 1 FROM p WHERE sev > prev
            """;
        command.Parameters.AddWithValue("$step", StepTicks);
        command.Parameters.AddWithValue("$w", ws);
        var pairs = new HashSet<(string, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) pairs.Add((reader.GetString(0), reader.GetInt64(1) * StepTicks));
        return pairs;
    }

    private static IEnumerable<(string Id, string Conditions, string Scope, string? ScopeValue, string Metric, int Timeframe, string Thresholds)> MixedMonitors()
    {
        const string none = """{"tags":[],"sensitivity":null,"outcome":null,"min_duration_ms":null}""";
        yield return ("mon_hourly_queries", none, "all", null, "query_count", 60, """[{"value":10,"severity":"low"},{"value":20,"severity":"high"}]""");
        yield return ("mon_daily_rows", none, "all", null, "rows_accessed", 1440, """[{"value":30000,"severity":"medium"},{"value":60000,"severity":"high"}]""");
        yield return ("mon_hourly_unauthorized", none, "all", null, "unauthorized_query_count", 60, """[{"value":0,"severity":"medium"}]""");
        yield return ("mon_prod_highly_sensitive", """{"tags":[],"sensitivity":"highly_sensitive","outcome":null,"min_duration_ms":null}""", "schema", "prod", "query_count", 1440, """[{"value":15,"severity":"low"},{"value":25,"severity":"high"}]""");
        yield return ("mon_warehouse_rows", none, "data_source", "warehouse", "rows_accessed", 60, """[{"value":2000,"severity":"medium"}]""");
        yield return ("mon_weekly_ops", """{"tags":["ops"],"sensitivity":null,"outcome":null,"min_duration_ms":null}""", "all", null, "query_count", 10080, """[{"value":500,"severity":"low"},{"value":800,"severity":"high"}]""");
        yield return ("mon_sensitive_rows", """{"tags":[],"sensitivity":"sensitive","outcome":null,"min_duration_ms":null}""", "all", null, "rows_accessed", 1440, """[{"value":20000,"severity":"low"},{"value":40000,"severity":"high"}]""");
        yield return ("mon_success_hourly", """{"tags":[],"sensitivity":null,"outcome":"success","min_duration_ms":null}""", "all", null, "query_count", 60, """[{"value":5,"severity":"low"},{"value":8,"severity":"medium"}]""");
        yield return ("mon_daily_unauthorized", none, "all", null, "unauthorized_query_count", 1440, """[{"value":2,"severity":"low"},{"value":5,"severity":"high"}]""");
    }

    private static MonitorRecord Monitor(string ws, string id, string name, string conditions, string scope, string? scopeValue, string metric, int timeframe, string thresholds)
    {
        var scopeJson = scopeValue is null ? $$"""{"type":"{{scope}}"}""" : $$"""{"type":"{{scope}}","value":"{{scopeValue}}"}""";
        return new MonitorRecord
        {
            Id = id,
            WorkspaceId = ws,
            Name = name,
            Enabled = true,
            Definition = $$"""{"name":"{{name}}","enabled":true,"scope":{{scopeJson}},"conditions":{{conditions}},"metric":"{{metric}}","timeframe_minutes":{{timeframe}},"thresholds":{{thresholds}},"notify":"each","channels":[]}""",
        };
    }
}
