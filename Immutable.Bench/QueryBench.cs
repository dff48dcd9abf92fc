using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Immutable.Domain.Events;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Immutable.Bench;

/// <summary>Query latency over a large store: seeded in process through the app's own chain writer, read over HTTP.</summary>
internal static class QueryBench
{
    public const string Workspace = "history";
    private const int Actors = 5000;

    /// <summary>
    /// Appends <paramref name="events"/> events (30 days, <see cref="Actors"/> actors, a mix of actions) and
    /// <paramref name="alerts"/> alerts to workspace "history" of the database in <paramref name="dataDirectory"/>,
    /// through the app's chain writer, so the chain is real and verifiable. The app is started on it afterwards.
    /// </summary>
    public static async Task<int> SeedAsync(string dataDirectory, int events, int alerts)
    {
        var clock = Stopwatch.StartNew();
        // Stored as if two days ago (one UTC day, from 00:10): the archive step then moves one day of events under a
        // one-day retention window. Nothing else the bench measures depends on created_at.
        var now = TimeProvider.System.GetUtcNow();
        var twoDaysAgo = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-2).AddMinutes(10), TimeSpan.Zero);
        var clockTwoDaysBack = new ShiftedTimeProvider(now - twoDaysAgo);
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string?>(),
            b => b.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clockTwoDaysBack)), dataDirectory, Workspace);
        var log = host.Services.GetRequiredService<IEventLog>();
        var step = TimeSpan.FromDays(30) / Math.Max(events, 1);
        var start = new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc);
        string[] actions = ["document.viewed", "document.viewed", "document.updated", "auth.login", "project.created", "member.invited", "document.deleted", "invoice.paid"];
        for (var i = 0; i < events; i += 2000)
        {
            var chunk = Enumerable.Range(i, Math.Min(2000, events - i)).Select(n => new EventContent
            {
                Id = Guid.NewGuid(),
                ActorId = $"user_{n % Actors}",
                ActorName = $"User {n % Actors}",
                Action = actions[n % actions.Length],
                Resource = "document",
                ResourceId = $"doc_{n % 20_000}",
                SessionId = $"sess_{n % 9000}",
                IpAddress = $"81.2.69.{n % 250}",
                Geo = new GeoLocation("GB", "London", 51.5, -0.13, 20, "Europe/London"),
                MetadataJson = $$"""{"n":{{n}}}""",
                OccurredAt = start + step * n,
            }).ToList();
            await log.AppendAsync(host.WorkspaceId, chunk, default);
        }

        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            for (var i = 0; i < alerts; i += 5000)
            {
                db.Alerts.AddRange(Enumerable.Range(i, Math.Min(5000, alerts - i)).Select(n => SeedAlert(host.WorkspaceId, n, start + step * n * Math.Max(events / Math.Max(alerts, 1), 1))));
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded workspace {Workspace}: {events} events and {alerts} alerts in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    /// <summary>A stored alert as detection writes it (the triage and alerts-page benchmarks need many).</summary>
    public static AlertRecord SeedAlert(string workspaceId, int n, DateTime at)
    {
        string[] severities = ["low", "medium", "high", "critical"];
        return new AlertRecord
        {
            Id = "alt_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = workspaceId,
            RuleId = "rul_seed",
            RuleName = "Seeded rule",
            RuleType = RuleType.RepeatedAction,
            Severity = WireName.Parse<Severity>(severities[n % severities.Length]),
            Status = n % 3 == 0 ? AlertStatus.Acknowledged : AlertStatus.Open,
            Reason = $"user_{n % Actors} did document.viewed 25 times in 10 minutes",
            GroupKey = $"user_{n % Actors}",
            ActorId = $"user_{n % Actors}",
            Context = "{}",
            RelatedEventIds = "[]",
            FirstEventAt = at,
            TriggeredAt = at,
            LastSeenAt = at,
            HitCount = 1,
        };
    }

    /// <summary>p50/p95 of the three reads an analyst makes most, each <paramref name="requests"/> times in a row.</summary>
    public static async Task<int> RunAsync(HttpClient http, int requests, string? results)
    {
        var random = new Random(7);
        var failures = 0;
        async Task Measure(string name, string label, Func<string> path)
        {
            for (var i = 0; i < 20; i++) (await http.GetAsync(path())).Dispose(); // warm-up
            var latencies = new List<double>(requests);
            for (var i = 0; i < requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path());
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK) failures++;
            }
            latencies.Sort();
            var (p50, p95) = (BenchResults.Percentile(latencies, 50), BenchResults.Percentile(latencies, 95));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"query, {label}: p50 {p50:F2} ms, p95 {p95:F2} ms ({requests} requests)"));
            BenchResults.Record(results, $"query.{name}.p50_ms", p50);
            BenchResults.Record(results, $"query.{name}.p95_ms", p95);
        }

        await Measure("timeline", "one actor's timeline, 50 newest", () => $"/api/v1/events?actor_id=user_{random.Next(Actors)}&limit=50");
        await Measure("action_pattern", "events by action pattern document.*, 50 newest", () => "/api/v1/events?action=document.*&limit=50");
        await Measure("alerts_page", "alerts page, 50 newest open", () => "/api/v1/alerts?status=open&limit=50");
        // Global search (the app bar's): each request one kind of text, in turn an actor id prefix, a name fragment
        // (contains), an IP prefix, a session id prefix and an alert id prefix.
        var kind = 0;
        string SearchText() => (kind++ % 5) switch
        {
            0 => $"user_{random.Next(Actors / 10)}",
            1 => $"ser {random.Next(Actors)}",
            2 => $"81.2.69.{random.Next(25)}",
            3 => $"sess_{random.Next(900)}",
            _ => "alt_" + random.Next(256).ToString("x2", CultureInfo.InvariantCulture),
        };
        await Measure("search", "global search (actor id prefix, name contains, IP, session, alert id)", () => "/api/v1/search?q=" + Uri.EscapeDataString(SearchText()));
        var total = await http.GetStringAsync("/api/v1/events?limit=1");
        Console.WriteLine($"  store: {total[(total.IndexOf("\"total\"", StringComparison.Ordinal))..].Split('}')[0]}");
        return failures == 0 ? 0 : 1;
    }
}

/// <summary>The system clock moved back by a fixed offset (seeding "the past" through the app's own chain writer).</summary>
internal sealed class ShiftedTimeProvider(TimeSpan back) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() - back;
}
