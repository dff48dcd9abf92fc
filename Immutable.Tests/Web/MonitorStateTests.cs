using System.Globalization;
using Immutable.Domain.Events;
using Immutable.Domain.Monitors;
using Immutable.Tests.TestSupport;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// Monitor evaluation keeps per-(monitor, user) 10-minute buckets between passes instead of re-reading each user's
/// history. These tests hold the persisted state to a recomputation from the stored events.
/// </summary>
[Trait("Postgres", "run")]
public class MonitorStateTests : IDisposable
{
    private static readonly DateTime T0 = new(2026, 3, 25, 0, 0, 0, DateTimeKind.Utc);
    private readonly ImmutableAppFactory _app = new(null, new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));

    public void Dispose() => _app.Dispose();

    private static readonly (string Id, string Definition)[] Monitors =
    [
        ("mon_hourly", """{"name":"hourly","enabled":true,"scope":{"type":"all"},"conditions":{"tags":[],"sensitivity":null,"outcome":null,"min_duration_ms":null},"metric":"query_count","timeframe_minutes":60,"thresholds":[{"value":3,"severity":"low"},{"value":6,"severity":"high"}],"notify":"each","channels":[]}"""),
        ("mon_pii_rows", """{"name":"pii rows","enabled":true,"scope":{"type":"schema","value":"prod"},"conditions":{"tags":["pii"],"sensitivity":null,"outcome":null,"min_duration_ms":null},"metric":"rows_accessed","timeframe_minutes":1440,"thresholds":[{"value":2000,"severity":"medium"},{"value":5000,"severity":"critical"}],"notify":"each","channels":[]}"""),
        ("mon_unauthorized", """{"name":"unauthorized","enabled":true,"scope":{"type":"all"},"conditions":{"tags":[],"sensitivity":"sensitive","outcome":null,"min_duration_ms":null},"metric":"unauthorized_query_count","timeframe_minutes":120,"thresholds":[{"value":1,"severity":"high"}],"notify":"each","channels":[]}"""),
    ];

    /// <summary>Random query events of three users over two days, some late, some with malformed context, some not queries.</summary>
    private static List<EventContent> RandomEvents(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var rows = random.Next(0, 1200);
            var metadata = random.Next(20) switch
            {
                0 => """{"rows":-1,"schema":"prod"}""", // invalid context: counted as a query without context
                _ => string.Create(CultureInfo.InvariantCulture,
                    $$"""{"schema":"{{(random.Next(4) == 0 ? "staging" : "prod")}}","rows":{{rows}},"table_tags":["{{(random.Next(2) == 0 ? "PII" : "ops")}}"],"sensitivity":"{{(random.Next(3) == 0 ? "non_sensitive" : "highly_sensitive")}}","outcome":"{{(random.Next(5) == 0 ? "unauthorized" : "success")}}"}"""),
            };
            return new EventContent
            {
                Id = Guid.NewGuid(),
                ActorId = $"user_{random.Next(3)}",
                Action = random.Next(15) == 0 ? "document.viewed" : "query.executed",
                // Minutes, plus some on exact 10-minute boundaries (a window's end belongs to the next window).
                OccurredAt = T0.AddMinutes(random.Next(2 * 24 * 6) * 10 + (random.Next(3) == 0 ? 0 : random.NextDouble() * 10)),
                MetadataJson = metadata,
            };
        }).ToList();

    private async Task<string> WorkspaceWithMonitorsAsync(string name)
    {
        var ws = (await _app.Services.GetRequiredService<WorkspaceDirectory>().GetOrCreateWorkspaceAsync(name)).Id;
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        foreach (var (id, definition) in Monitors)
            db.Monitors.Add(new MonitorRecord { Id = $"{id}_{name}", WorkspaceId = ws, Name = id, Enabled = true, Definition = definition });
        await db.SaveChangesAsync();
        return ws;
    }

    private async Task<List<string>> ObservationsAsync(string ws)
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        return (await db.Observations.AsNoTracking().Where(o => o.WorkspaceId == ws).ToListAsync())
            .Select(o => string.Create(CultureInfo.InvariantCulture,
                $"{o.MonitorName} {o.UserId} {o.WindowEnd:O} {o.Severity} {o.MetricValue} {o.Threshold} {o.RelatedEventCount}"))
            .Order(StringComparer.Ordinal).ToList();
    }

    private async Task ForgetStateAsync(string ws)
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        await db.MonitorBucketDays.Where(b => b.WorkspaceId == ws).ExecuteDeleteAsync();
        await db.MonitorStates.Where(s => s.WorkspaceId == ws).ExecuteDeleteAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task IncrementalState_GivesTheSameObservations_AsRecountingFromTheEventsEveryPass(int seed)
    {
        var random = new Random(seed);
        var log = _app.Services.GetRequiredService<IEventLog>();
        var evaluator = _app.Services.GetRequiredService<MonitorEvaluator>();
        var kept = await WorkspaceWithMonitorsAsync("kept");
        var recounted = await WorkspaceWithMonitorsAsync("recounted");
        var all = RandomEvents(random, 600);
        // Arrival in chunks, in random order: later chunks hold events older than those already evaluated.
        foreach (var chunk in all.OrderBy(_ => random.Next()).Chunk(120))
        {
            await log.AppendAsync(kept, chunk.Select(Copy).ToList(), default);
            await log.AppendAsync(recounted, chunk.Select(Copy).ToList(), default);
            var passSize = random.Next(7, 60);
            await evaluator.EvaluateWorkspaceAsync(kept, passSize, default);
            await ForgetStateAsync(recounted);
            await evaluator.EvaluateWorkspaceAsync(recounted, passSize, default);
        }

        var expected = await ObservationsAsync(recounted);
        Assert.True(expected.Count > 5, $"the random events breach the monitors ({expected.Count} observations)");
        Assert.Equal(expected, await ObservationsAsync(kept));
    }

    [Fact]
    public async Task PersistedBuckets_EqualTheBucketsCountedFromTheStoredEvents()
    {
        var random = new Random(7);
        var log = _app.Services.GetRequiredService<IEventLog>();
        var evaluator = _app.Services.GetRequiredService<MonitorEvaluator>();
        var ws = await WorkspaceWithMonitorsAsync("acme");
        var all = RandomEvents(random, 400);
        foreach (var chunk in all.OrderBy(_ => random.Next()).Chunk(100))
        {
            await log.AppendAsync(ws, chunk.ToList(), default);
            await evaluator.EvaluateWorkspaceAsync(ws, 37, default);
        }

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var monitors = (await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == ws).ToListAsync()).Select(m => m.ToDomain()).ToList();
        var stored = await db.MonitorBucketDays.AsNoTracking().Where(b => b.WorkspaceId == ws).ToListAsync();
        Assert.NotEmpty(stored);
        foreach (var monitor in monitors)
        {
            var expected = new Dictionary<(string User, long Day), double[]>();
            foreach (var e in all.Where(e => e.Action.StartsWith("query.", StringComparison.Ordinal)))
            {
                var context = QueryContext.FromMetadataJson(e.MetadataJson);
                if (!monitor.Matches(context) || monitor.Contribution(context) == 0) continue;
                var slot = MetricDays.SlotOf(e.OccurredAt!.Value);
                var day = MetricDays.DayOf(slot);
                if (!expected.TryGetValue((e.ActorId, day), out var buckets)) expected[(e.ActorId, day)] = buckets = new double[MetricDays.SlotsPerDay];
                buckets[slot - day * MetricDays.SlotsPerDay] += monitor.Contribution(context);
            }
            var actual = stored.Where(b => b.MonitorId == monitor.Id).ToDictionary(b => (b.UserId, b.Day), b =>
            {
                var buckets = new double[MetricDays.SlotsPerDay];
                MetricDays.AddTo(b.Buckets, buckets);
                return buckets;
            });
            // A stored day may be empty (counted, nothing matched); a day with matching events is always stored.
            foreach (var (key, buckets) in expected) Assert.Equal(buckets, actual[key]);
            foreach (var (key, buckets) in actual.Where(a => !expected.ContainsKey(a.Key))) Assert.All(buckets, b => Assert.Equal(0, b));
        }

        // Every observation's metric is what its related events add up to.
        foreach (var observation in await db.Observations.AsNoTracking().Where(o => o.WorkspaceId == ws).ToListAsync())
        {
            var monitor = monitors.Single(m => m.Id == observation.MonitorId);
            var related = await db.ObservationEvents.AsNoTracking().Where(r => r.ObservationRowId == observation.RowId).Select(r => r.EventId).ToListAsync();
            var sum = all.Where(e => related.Contains(e.Id.ToString("D"))).Sum(e => monitor.Contribution(QueryContext.FromMetadataJson(e.MetadataJson)));
            Assert.Equal(observation.MetricValue, sum);
            Assert.Equal(observation.RelatedEventCount, related.Count);
        }
    }

    [Fact]
    public async Task ChangedDefinition_StartsTheStateOver_AndCountsHistoryFromTheEvents()
    {
        var log = _app.Services.GetRequiredService<IEventLog>();
        var evaluator = _app.Services.GetRequiredService<MonitorEvaluator>();
        var ws = await WorkspaceWithMonitorsAsync("acme");
        // Ten queries of ops tables in one hour: only the hourly query count breaches (more than 6: high).
        await log.AppendAsync(ws, Enumerable.Range(0, 10).Select(i => Query("ana", T0.AddMinutes(i * 3), """{"schema":"prod","rows":100,"table_tags":["ops"]}""")).ToList(), default);
        await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default);
        // Low at the 4th query, high at the 7th: one episode, two observations.
        Assert.Equal(["hourly ana", "hourly ana"], (await ObservationsAsync(ws)).Select(o => string.Join(' ', o.Split(' ').Take(2))));

        // The PII monitor now counts ops tables with a low threshold: the history counts under the new definition.
        await using (var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            var monitor = await db.Monitors.SingleAsync(m => m.Id == "mon_pii_rows_acme");
            monitor.Definition = monitor.Definition.Replace("\"pii\"", "\"ops\"", StringComparison.Ordinal).Replace("2000", "900", StringComparison.Ordinal);
            await db.SaveChangesAsync();
        }
        await log.AppendAsync(ws, [Query("ana", T0.AddMinutes(31), """{"schema":"prod","rows":100,"table_tags":["ops"]}""")], default);
        await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, default);
        var rows = Assert.Single(await ObservationsAsync(ws), o => o.StartsWith("pii rows", StringComparison.Ordinal));
        Assert.Contains(" 1100 900 11", rows, StringComparison.Ordinal);
    }

    private static EventContent Query(string user, DateTime at, string metadata) =>
        new() { Id = Guid.NewGuid(), ActorId = user, Action = "query.executed", OccurredAt = at, MetadataJson = metadata };

    private static EventContent Copy(EventContent e) =>
        new() { Id = Guid.NewGuid(), ActorId = e.ActorId, Action = e.Action, OccurredAt = e.OccurredAt, MetadataJson = e.MetadataJson };
}
