using System.Diagnostics;
using System.Globalization;
using Immutable.Domain.Events;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Bench;

internal static class MonitorBench
{
    /// <summary>
    /// One monitor (query_count per user, 1-day timeframe, two thresholds) evaluated over <paramref name="events"/>
    /// stored query events of <paramref name="users"/> users spread over 7 days, with the app's MonitorEvaluator
    /// over a real SQLite file. Reports wall time, observations, and the process's memory.
    /// </summary>
    public static async Task<int> RunAsync(int events, int users, int perPass)
    {
        await using var host = await BenchHost.StartAsync(
            new Dictionary<string, string?> { ["Monitors:MaxEventsPerPass"] = perPass.ToString(CultureInfo.InvariantCulture) },
            b => b.AddMonitors());
        var ws = host.WorkspaceId;
        var log = host.Services.GetRequiredService<IEventLog>();
        var seed = Stopwatch.StartNew();
        var start = new DateTime(2026, 3, 20, 0, 0, 0, DateTimeKind.Utc);
        var spacing = TimeSpan.FromDays(7) / events;
        for (var i = 0; i < events; i += 2000)
        {
            var batch = Enumerable.Range(i, Math.Min(2000, events - i)).Select(n => new EventContent
            {
                Id = Guid.NewGuid(),
                ActorId = $"user_{n % users}",
                Action = "query.executed",
                OccurredAt = start + n * spacing,
                MetadataJson = $$"""{"data_source":"warehouse","rows":{{n % 500}},"schema":"prod","sensitivity":"{{(n % 7 == 0 ? "highly_sensitive" : "sensitive")}}","table_tags":["{{(n % 3 == 0 ? "PII" : "ops")}}"]}""",
            }).ToList();
            await log.AppendAsync(ws, batch, default);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {events} query events of {users} users over 7 days in {seed.Elapsed.TotalSeconds:F1} s"));

        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            // Each user runs ~1 query per 10 minutes: 144 a day. Thresholds sit above that except for the busiest users.
            db.Monitors.Add(new MonitorRecord
            {
                Id = "mon_bench",
                WorkspaceId = ws,
                Name = "queries per user per day",
                Enabled = true,
                Definition = """{"name":"queries per user per day","enabled":true,"scope":{"type":"all"},"conditions":{"tags":["PII"],"sensitivity":null,"outcome":null,"min_duration_ms":null},"metric":"query_count","timeframe_minutes":1440,"thresholds":[{"value":40,"severity":"low"},{"value":60,"severity":"high"}],"notify":"each","channels":[]}""",
            });
            await db.SaveChangesAsync();
        }

        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var evaluator = host.Services.GetRequiredService<MonitorEvaluator>();
        var clock = Stopwatch.StartNew();
        var observations = await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default);
        clock.Stop();
        process.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"monitor evaluation: {events} events, {users} users, 1-day timeframe, {perPass} events per pass: {clock.Elapsed.TotalSeconds:F2} s, {observations} observations; " +
            $"working set {before / 1048576} MB before → peak {process.PeakWorkingSet64 / 1048576} MB, allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576} MB"));
        return 0;
    }
}
