using Immutable.Domain.Events;
using Immutable.Domain.Rules;
using Immutable.Tests.Domain;
using Immutable.Tests.TestSupport;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Hardening;

/// <summary>
/// Item 2: rule memory is bounded whatever the number of distinct actors/IPs — expired windows are evicted, long-lived
/// memory is a bounded cache over the store — and alerts are the same as with unbounded memory.
/// </summary>
public sealed class RuleMemoryBoundsTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 27, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RepeatedAction_WindowsOfGroupsIdleForTwoWindows_AreEvicted()
    {
        var kit = new RuleTestKit(Start);
        var rule = new RepeatedActionEvaluator(RuleTestKit.Rule(new RepeatedActionConditions
            { ActionPatterns = ["auth.login_failed"], Threshold = 3, WindowMinutes = 10, GroupBy = "ip_address" }));
        // 20 000 distinct IPs, one event a second: at most ~20 minutes' worth (1 200 groups) can still matter.
        for (var i = 0; i < 20_000; i++)
        {
            rule.Observe(kit.Event("auth.login_failed", ip: $"10.{i / 65536}.{i / 256 % 256}.{i % 256}"));
            kit.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(rule.Groups, 1, 1_200 + 1_024);
    }

    [Fact]
    public void HighVolumeDestructive_PerActorWindows_AreEvicted_AndAStillActiveGroupKeepsCounting()
    {
        var kit = new RuleTestKit(Start);
        var rule = new HighVolumeDestructiveEvaluator(RuleTestKit.Rule(new HighVolumeDestructiveConditions { Threshold = 3, WindowMinutes = 5 }));
        RuleHit? hit = null;
        for (var i = 0; i < 10_000; i++)
        {
            var e = kit.Event("document.deleted", actor: i % 100 == 0 ? "steady" : "actor" + i);
            hit ??= e.Content.ActorId == "steady" ? rule.Observe(e) : null;
            if (e.Content.ActorId != "steady") rule.Observe(e);
            kit.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(rule.Groups, 1, 600 + 1_024);
        // "steady" deletes every 100 s: three within 5 minutes → it fired despite the eviction sweeps around it.
        Assert.NotNull(hit);
    }

    [Fact]
    public void NewCountry_BoundedCache_EvictsToCapacity_AndRefusesAnActorTheHostDidNotLoad()
    {
        var kit = new RuleTestKit(Start);
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), [], maxCachedActors: 10);
        for (var i = 0; i < 1_000; i++)
        {
            var e = kit.Event(actor: "actor" + i, geo: RuleTestKit.NewYork);
            rule.Prime(e.Content.ActorId, []);
            Assert.Null(rule.Observe(e));
            if (i % 50 == 49)
            {
                Assert.Equal(50, rule.DrainLearned().Count);
                rule.Trim();
                Assert.Equal(10, rule.CachedActors);
            }
        }
        Assert.Throws<InvalidOperationException>(() => rule.Observe(kit.Event(actor: "never-loaded", geo: RuleTestKit.Bucharest)));
        // What the store says comes back through Prime: a known actor in a new country fires.
        rule.Prime("actor1", ["US"]);
        Assert.NotNull(rule.Observe(kit.Event(actor: "actor1", geo: RuleTestKit.Bucharest)));
    }

    [Fact]
    public void ImpossibleTravel_BoundedCache_KeepsUndrainedChanges_UntilPersisted()
    {
        var kit = new RuleTestKit(Start);
        var rule = new ImpossibleTravelEvaluator(RuleTestKit.Rule(new ImpossibleTravelConditions()), [], maxCachedActors: 2);
        for (var i = 0; i < 5; i++)
        {
            rule.Prime("actor" + i, null);
            rule.Observe(kit.Event(actor: "actor" + i, geo: RuleTestKit.NewYork));
        }
        rule.Trim();
        Assert.Equal(5, rule.CachedActors); // not yet persisted: nothing may be forgotten
        Assert.Equal(5, rule.DrainChanged().Count);
        rule.Trim();
        Assert.Equal(2, rule.CachedActors);
    }

    /// <summary>
    /// The same stored stream evaluated by a host with a cache of 2 actors and by one with room for every actor
    /// (copies of one SQLite file): the same alerts, with the same ids.
    /// </summary>
    [Fact]
    public async Task StreamDetection_WithATinyCache_RaisesExactlyTheAlertsOfAnUnboundedOne()
    {
        var source = Directory.CreateTempSubdirectory("immutable-bounded-src-").FullName;
        string key;
        using (var ingest = new ImmutableAppFactory(source).With("Detection:StreamEvaluation", "false"))
        {
            key = (await ingest.CreateKeyAsync("acme")).Key;
            var client = ingest.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");
            await client.CreateRuleAsync("""{"name":"Travel","rule_type":"impossible_travel"}""");
            await client.CreateRuleAsync("""{"name":"Brute force","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":3,"window_minutes":10,"group_by":"ip_address"}}""");
            await client.CreateRuleAsync("""{"name":"Mass delete","rule_type":"high_volume_destructive","conditions":{"threshold":3,"window_minutes":5}}""");
            await client.CreateRuleAsync("""{"name":"Night","rule_type":"off_hours","conditions":{"start_hour":0,"end_hour":6,"timezone":"UTC"}}""");
            string[] ips = [NewYorkIp, BucharestIp, SydneyIp];
            var events = new List<object>();
            var at = new DateTime(2026, 3, 20, 0, 0, 0, DateTimeKind.Utc);
            for (var i = 0; i < 600; i++)
            {
                var actor = "user" + (i * 7 % 40);
                var action = (i % 5) switch { 0 => "auth.login_failed", 1 => "document.deleted", _ => "auth.login" };
                events.Add(new { actor_id = actor, action, ip_address = ips[i * 13 % 3], occurred_at = Iso(at) });
                at = at.AddMinutes(i % 3 == 0 ? 1 : 7);
            }
            foreach (var chunk in events.Chunk(100))
                Assert.Equal(System.Net.HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/events/batch", new { events = chunk })).StatusCode);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        async Task<List<string>> AlertsWithCacheAsync(int maxCached)
        {
            var copy = Directory.CreateTempSubdirectory("immutable-bounded-").FullName;
            foreach (var file in Directory.GetFiles(source, "immutable.db*")) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            using var host = new ImmutableAppFactory(copy)
                .With("Detection:MaxCachedGroups", maxCached.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .With("Detection:ChunkSize", "50");
            var client = host.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.SettleAsync(host, 30_000);
            using var db = host.OpenDatabase();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT id || ' ' || hit_count FROM alerts ORDER BY id";
            var ids = new List<string>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) ids.Add(reader.GetString(0));
            return ids;
        }

        var unbounded = await AlertsWithCacheAsync(1_000_000);
        var bounded = await AlertsWithCacheAsync(2);
        Assert.True(unbounded.Count > 20, $"the stream should raise alerts of every kind, got {unbounded.Count}");
        Assert.Equal(unbounded, bounded);
    }
}
