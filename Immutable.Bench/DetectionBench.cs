using Immutable.Domain;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Domain.Events;
using Immutable.Domain.Rules;
using Immutable.Web.Detection;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Bench;

internal static class DetectionBench
{
    /// <summary>
    /// Stream evaluation throughput: <paramref name="events"/> stored events of one workspace through its 20 enabled
    /// rules, with the app's own StreamEvaluator over a real SQLite file (reads, rule logic, alert and memory writes).
    /// </summary>
    public static async Task<int> ThroughputAsync(int events)
    {
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string?>(), b => b.AddDetection());
        await SeedRulesAsync(host.Services, host.WorkspaceId);
        var log = host.Services.GetRequiredService<IEventLog>();
        var seed = Stopwatch.StartNew();
        for (var i = 0; i < events; i += 1000)
            await log.AppendAsync(host.WorkspaceId, Enumerable.Range(i, Math.Min(1000, events - i)).Select(SyntheticEvent).ToList(), default);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {events} events in {seed.Elapsed.TotalSeconds:F1} s"));

        // Split of the cost: the same events through the same rules in memory, without the store.
        await using (var read = await host.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            var readClock = Stopwatch.StartNew();
            var domainEvents = (await read.Events.AsNoTracking().Where(e => e.WorkspaceId == host.WorkspaceId).OrderBy(e => e.Sequence).ToListAsync()).Select(r => r.ToDomain()).ToList();
            var readTime = readClock.Elapsed;
            var rules = (await read.AlertRules.AsNoTracking().ToListAsync()).Select(r => r.ToDomain()).ToList();
            var ruleSet = new RuleSet(rules, RuleMemory.Empty);
            var pure = Stopwatch.StartNew();
            var hits = 0;
            foreach (var e in domainEvents) hits += ruleSet.Observe(e).Count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  split: reading+mapping {domainEvents.Count} events {readTime.TotalSeconds:F2} s; rule logic alone {pure.Elapsed.TotalSeconds:F2} s ({domainEvents.Count / pure.Elapsed.TotalSeconds:F0} events/s, {hits} hits)"));
        }

        var evaluator = host.Services.GetRequiredService<StreamEvaluator>();
        var clock = Stopwatch.StartNew();
        var processed = await evaluator.ProcessAsync(host.WorkspaceId, default);
        clock.Stop();
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var alerts = await db.Alerts.CountAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stream evaluation: {processed} events through 20 rules in {clock.Elapsed.TotalSeconds:F2} s = {processed / clock.Elapsed.TotalSeconds:F0} events/s ({alerts} alerts stored)"));
        return 0;
    }

    private static readonly GeoLocation[] Places =
    [
        new("US", "New York", 40.71, -74.01, 20, "America/New_York"),
        new("US", "Boston", 42.36, -71.06, 20, "America/New_York"),
        new("GB", "London", 51.51, -0.13, 20, "Europe/London"),
        new("RO", "Bucharest", 44.43, 26.10, 20, "Europe/Bucharest"),
        new("AU", "Sydney", -33.87, 151.21, 20, "Australia/Sydney"),
    ];

    private static readonly string[] Actions = ["auth.login", "auth.login_failed", "document.viewed", "document.viewed", "document.viewed", "project.deleted", "member.removed", "invoice.created"];

    /// <summary>A realistic mix: mostly views, logins from a handful of places, failed logins, some deletions.</summary>
    private static EventContent SyntheticEvent(int i) => new()
    {
        Id = Guid.NewGuid(),
        ActorId = $"user_{i % 2000}",
        Action = Actions[i % Actions.Length],
        Geo = i % 97 == 0 ? Places[(i / 97) % Places.Length] : Places[(i % 2000) % 2],
        IpAddress = "203.0.113." + (i % 250),
        MetadataJson = $$"""{"attempted_email":"user{{i % 300}}@acme.io","n":{{i}}}""",
        OccurredAt = new DateTime(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 0.5),
    };

    private static async Task SeedRulesAsync(IServiceProvider services, string workspaceId)
    {
        var definitions = new List<(string Name, RuleConditions Conditions)>
        {
            ("nc logins", new NewCountryConditions()),
            ("nc any auth", new NewCountryConditions { ActionPatterns = ["auth.*"] }),
            ("nc documents", new NewCountryConditions { ActionPatterns = ["document.*"] }),
            ("night NY", new OffHoursConditions { TimeZone = "America/New_York", StartHour = 22, EndHour = 6 }),
            ("night Bucharest", new OffHoursConditions { TimeZone = "Europe/Bucharest", StartHour = 23, EndHour = 5 }),
            ("weekend deletes", new OffHoursConditions { ActionPatterns = ["*.deleted"], TimeZone = "UTC", StartHour = 0, EndHour = 0, Days = [DayOfWeek.Saturday, DayOfWeek.Sunday] }),
            ("brute force email", new RepeatedActionConditions { GroupBy = "metadata.attempted_email" }),
            ("brute force ip", new RepeatedActionConditions { GroupBy = "ip_address", Threshold = 20 }),
            ("brute force actor", new RepeatedActionConditions { GroupBy = "actor_id", Threshold = 10 }),
            ("view storm", new RepeatedActionConditions { ActionPatterns = ["document.viewed"], GroupBy = "actor_id", Threshold = 50, WindowMinutes = 5 }),
            ("mass delete", new HighVolumeDestructiveConditions()),
            ("mass delete wide", new HighVolumeDestructiveConditions { PerActor = false, Threshold = 200 }),
            ("mass removal", new HighVolumeDestructiveConditions { ActionPatterns = ["member.removed"], Threshold = 10 }),
            ("travel", new ImpossibleTravelConditions()),
            ("travel strict", new ImpossibleTravelConditions { MaxSpeedKmh = 500, MinDistanceKm = 200 }),
            ("travel any", new ImpossibleTravelConditions { ActionPatterns = ["*"] }),
            ("spike", new IngestionSpikeConditions()),
            ("spike fast", new IngestionSpikeConditions { WindowMinutes = 1, Multiplier = 5 }),
        };
        await using var db = await services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var ids = new List<string>();
        foreach (var (name, conditions) in definitions)
        {
            var id = "rul_" + Guid.NewGuid().ToString("D");
            ids.Add(id);
            db.AlertRules.Add(Record(workspaceId, id, name, conditions));
        }
        db.AlertRules.Add(Record(workspaceId, "rul_" + Guid.NewGuid().ToString("D"), "lock account", new CorrelationConditions { RuleIds = [ids[0], ids[3]] }));
        db.AlertRules.Add(Record(workspaceId, "rul_" + Guid.NewGuid().ToString("D"), "travel + brute force", new CorrelationConditions { RuleIds = [ids[13], ids[8]] }));
        await db.SaveChangesAsync();
    }

    private static AlertRuleRecord Record(string workspaceId, string id, string name, RuleConditions conditions) => new()
    {
        Id = id,
        WorkspaceId = workspaceId,
        Name = name,
        RuleType = conditions.Type,
        Enabled = true,
        Severity = AlertRule.DefaultSeverity(conditions.Type),
        Conditions = RuleCodec.ConditionsJson(conditions).ToJsonString(),
        Channels = "[]",
        CooldownMinutes = 60,
    };

    /// <summary>
    /// End-to-end alert latency over HTTP: for each of <paramref name="count"/> alerting events (a rule that fires on
    /// every event of a fresh actor), the time from the ingest's 202 until GET /api/v1/alerts returns its alert.
    /// </summary>
    public static async Task<int> LatencyAsync(HttpClient http, int count)
    {
        var rule = await http.PostAsync("/api/v1/alert-rules", new StringContent(
            """{"name":"bench: every login","rule_type":"off_hours","cooldown_minutes":0,"conditions":{"action_pattern":"bench.login","timezone":"UTC","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""",
            Encoding.UTF8, "application/json"));
        if (rule.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException(await rule.Content.ReadAsStringAsync());
        var latencies = new List<double>(count);
        var run = Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < count; i++)
        {
            var actor = $"bench_{run}_{i}";
            var response = await http.PostAsync("/api/v1/events", new StringContent($$"""{"actor_id":"{{actor}}","action":"bench.login"}""", Encoding.UTF8, "application/json"));
            var accepted = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
            while (true)
            {
                var list = JsonNode.Parse(await http.GetStringAsync($"/api/v1/alerts?actor_id={actor}&limit=1"))!;
                if (list["data"]!.AsArray().Count > 0) break;
                if (Stopwatch.GetElapsedTime(accepted) > TimeSpan.FromSeconds(10)) throw new TimeoutException($"no alert for {actor}");
                await Task.Delay(1);
            }
            latencies.Add(Stopwatch.GetElapsedTime(accepted).TotalMilliseconds);
        }
        latencies.Sort();
        double P(double p) => latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Count) - 1, 0, latencies.Count - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"alert latency (202 → alert visible in GET /alerts), {count} alerting events: p50 {P(50):F1} ms, p99 {P(99):F1} ms, max {latencies[^1]:F1} ms"));
        return 0;
    }
}
