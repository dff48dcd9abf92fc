using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Tests.TestSupport;
using Immutable.Web.Jobs;
using Immutable.Web.Retention;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Immutable.Tests.Web;

/// <summary>
/// Retention over the real host and SQLite file, with the fake clock moved across days: whole UTC days go to
/// verified gzipped archives, the rows leave the store, verification proves the chain from the cut, the chain
/// continues from the cut, and findings that point at archived events keep their summary.
/// </summary>
[Trait("Postgres", "run")]
public sealed class RetentionTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();
    private HttpClient _client = default!;
    private string _workspaceId = "";

    public void Dispose()
    {
        _client?.Dispose();
        _app.Dispose();
    }

    private async Task StartAsync()
    {
        var key = await _app.CreateKeyAsync("acme");
        _workspaceId = key.WorkspaceId;
        _client = _app.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
    }

    /// <summary>3 events on 27 March, 2 on 28 March, 2 on 29 March (UTC).</summary>
    private async Task<List<string>> SeedThreeDaysAsync()
    {
        var ids = new List<string>();
        foreach (var (day, count) in new[] { (0, 3), (1, 2), (2, 2) })
        {
            if (day > 0) _app.Time.Advance(TimeSpan.FromDays(1));
            for (var i = 0; i < count; i++) ids.Add(await _client.IngestAsync(new { actor_id = $"user_{day}", action = "auth.login", ip_address = "81.2.69.142", metadata = new { day, i } }));
        }
        return ids; // the clock is on the 29th, 14:00
    }

    private async Task<HttpResponseMessage> PutRetentionAsync(string json) =>
        await _client.PutAsync("/api/v1/retention", new StringContent(json, Encoding.UTF8, "application/json"));

    private Task<RetentionRun> RunAsync() => _app.Services.GetRequiredService<RetentionArchiver>().RunAsync(_workspaceId, CancellationToken.None);

    private string ArchivePath(string day) => Path.Combine(_app.DataDirectory, "archive", _workspaceId, day + ".jsonl.gz");

    [Fact]
    public async Task Retention_days_is_set_by_the_api_validated_and_audited()
    {
        await StartAsync();
        foreach (var bad in new[] { """{"retention_days":0}""", """{"retention_days":36501}""", """{"retention_days":"30"}""", """{"retention_days":1.5}""", "{}" })
        {
            var response = await PutRetentionAsync(bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("retention_days", (await response.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
        }
        var set = await PutRetentionAsync("""{"retention_days":30}""");
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var data = (await set.ReadJsonAsync())["data"]!;
        Assert.Equal(30, data["retention_days"]!.GetValue<int>());
        Assert.Equal("2026-02-25T00:00:00.000000Z", data["archive_before"]!.GetValue<string>());
        Assert.Null(data["archived_through"]);
        Assert.Equal(30, (await _client.GetJsonAsync("/api/v1/retention"))["data"]!["retention_days"]!.GetValue<int>());
        var cleared = (await (await PutRetentionAsync("""{"retention_days":null}""")).ReadJsonAsync())["data"]!;
        Assert.Null(cleared["retention_days"]);
        Assert.Null(cleared["archive_before"]);

        var audit = (await _client.GetJsonAsync("/api/v1/events?action=retention.updated"))["data"]!.AsArray();
        Assert.Equal(2, audit.Count);
        Assert.Equal("""{"after":null,"before":30}""", audit[0]!["metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task Old_days_go_to_verified_archives_and_verify_starts_at_the_oldest_remaining_event_from_the_cut()
    {
        await StartAsync();
        var ids = await SeedThreeDaysAsync();
        Assert.Equal(HttpStatusCode.OK, (await PutRetentionAsync("""{"retention_days":1}""")).StatusCode); // audited on the 29th
        _app.Time.Advance(TimeSpan.FromHours(20)); // 30 March, 10:00: the 27th and 28th are older than one day

        // The daily job (Quartz follows the fake clock) may have started the same run as the clock passed 03:30; runs of
        // one workspace take turns, so after this one the work is done either way.
        await RunAsync();

        var archives = (await _client.GetJsonAsync("/api/v1/archives"))["data"]!.AsArray();
        Assert.Equal(["2026-03-28", "2026-03-27"], archives.Select(a => a!["day"]!.GetValue<string>()));
        Assert.Equal([2L, 3L], archives.Select(a => a!["event_count"]!.GetValue<long>()));
        Assert.Equal(1, archives[1]!["first_sequence"]!.GetValue<long>());
        Assert.Equal(5, archives[0]!["last_sequence"]!.GetValue<long>());
        Assert.Null(archives[1]!["first_previous_event_hash"]);
        Assert.Equal(archives[1]!["last_event_hash"]!.GetValue<string>(), archives[0]!["first_previous_event_hash"]!.GetValue<string>());

        // The files: gzipped lines with every hash, a manifest with the SHA-256 of the bytes.
        foreach (var day in new[] { "2026-03-27", "2026-03-28" })
        {
            var path = ArchivePath(day);
            var manifest = (await ArchiveFile.ReadManifestAsync(ArchiveFile.ManifestPathFor(path), default))!;
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path))), manifest.Sha256);
            Assert.Equal(day, manifest.Day);
            Assert.True((await ArchiveFile.VerifyAsync(path, manifest, default)).Valid);
        }
        var archivedIds = ReadLines(ArchivePath("2026-03-27")).Concat(ReadLines(ArchivePath("2026-03-28"))).Select(l => JsonNode.Parse(l)!["id"]!.GetValue<string>());
        Assert.Equal(ids.Take(5), archivedIds);

        // The store keeps the 29th (2 events and the audit record of the retention change).
        var remaining = (await _client.GetJsonAsync("/api/v1/events?order=asc"))["data"]!.AsArray();
        Assert.Equal([6L, 7L, 8L], remaining.Select(e => e!["integrity"]!["sequence"]!.GetValue<long>()));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/events/{ids[0]}")).StatusCode);

        var verify = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.Equal(3, verify["events_checked"]!.GetValue<int>());
        Assert.Equal(6, verify["first_sequence"]!.GetValue<long>());
        Assert.Equal(5, verify["archived_through_sequence"]!.GetValue<long>());
        var retention = (await _client.GetJsonAsync("/api/v1/retention"))["data"]!;
        Assert.Equal(5, retention["archived_through"]!["sequence"]!.GetValue<long>());
        Assert.Equal(archives[0]!["last_event_hash"]!.GetValue<string>(), retention["archived_through"]!["event_hash"]!.GetValue<string>());

        // The chain goes on from the head; a second run the same day has nothing to do.
        await _client.IngestAsync(new { actor_id = "user_9", action = "auth.logout" });
        Assert.Equal(0, (await RunAsync()).ArchivesWritten);
        var after = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(after["valid"]!.GetValue<bool>());
        Assert.Equal(4, after["events_checked"]!.GetValue<int>());

        // A row edited right after the cut is still caught: the cut links, it does not excuse.
        using (var db = _app.OpenStore())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "UPDATE events SET previous_event_hash = 'f00d' WHERE sequence = 6";
            cmd.ExecuteNonQuery();
        }
        var broken = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.False(broken["valid"]!.GetValue<bool>());
        Assert.Contains(broken["breaks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "chain_break" && b["expected_hash"]!.GetValue<string>() == archives[0]!["last_event_hash"]!.GetValue<string>());
    }

    private static List<string> ReadLines(string gzPath)
    {
        using var gzip = new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static void WriteLines(string gzPath, IEnumerable<string> lines)
    {
        using var gzip = new GZipStream(File.Create(gzPath), CompressionLevel.Optimal);
        using var writer = new StreamWriter(gzip, new UTF8Encoding(false));
        foreach (var line in lines) writer.Write(line + "\n");
    }

    [Fact]
    public async Task Archive_verify_on_the_command_line_passes_an_intact_archive_and_names_what_was_altered()
    {
        await StartAsync();
        await SeedThreeDaysAsync();
        await PutRetentionAsync("""{"retention_days":1}""");
        _app.Time.Advance(TimeSpan.FromDays(1));
        await RunAsync();
        var path = ArchivePath("2026-03-27");

        // The app's own binary, as an operator runs it: no database, no server.
        var (exit, stdout, _) = await AppProcess.RunCliAsync(_app.DataDirectory, "archive", "verify", path);
        Assert.True(exit == 0, stdout);
        Assert.Contains("VALID", stdout, StringComparison.Ordinal);
        Assert.Contains("events:    3, sequences 1..3", stdout, StringComparison.Ordinal);

        var lines = ReadLines(path);
        var copy = Path.Combine(_app.DataDirectory, "altered.jsonl.gz");
        WriteLines(copy, [lines[0], lines[1].Replace("user_0", "mallory", StringComparison.Ordinal), lines[2]]);
        var output = new StringWriter();
        Assert.Equal(1, await ArchiveCommand.RunAsync(["archive", "verify", copy], output, new StringWriter()));
        Assert.Contains("line 2 (sequence 2): event_hash", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("altered", output.ToString(), StringComparison.Ordinal);

        // A line removed from the archive, with its manifest beside it: the gap and the manifest both say so.
        var dropped = Path.Combine(_app.DataDirectory, "dropped.jsonl.gz");
        WriteLines(dropped, [lines[0], lines[2]]);
        File.Copy(ArchiveFile.ManifestPathFor(path), ArchiveFile.ManifestPathFor(dropped));
        output = new StringWriter();
        Assert.Equal(1, await ArchiveCommand.RunAsync(["archive", "verify", dropped], output, new StringWriter()));
        Assert.Contains("sequence 3 does not follow 1", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("SHA-256 is", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await ArchiveCommand.RunAsync(["archive", "verify"], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public async Task Alerts_and_observations_pointing_at_archived_events_keep_their_summary()
    {
        await StartAsync();
        var ids = await SeedThreeDaysAsync();
        var factory = _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        var snapshot = (await _client.GetJsonAsync($"/api/v1/events/{ids[0]}"))["data"]!;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var at = Timestamps.ToMicroseconds(_app.Time.GetUtcNow());
            db.Alerts.Add(new AlertRecord
            {
                Id = "alt_" + Guid.NewGuid().ToString("D"), WorkspaceId = _workspaceId, RuleId = "rul_x", RuleName = "New country", RuleType = RuleType.NewCountry,
                Severity = Severity.High, Status = AlertStatus.Open, Reason = "user_0 logged in from GB for the first time", GroupKey = "user_0", ActorId = "user_0",
                EventId = ids[0], Event = new JsonObject { ["id"] = ids[0], ["actor_id"] = "user_0", ["action"] = "auth.login", ["ip_address"] = snapshot["ip_address"]!.GetValue<string>() }.ToJsonString(),
                Context = "{}", RelatedEventIds = $"[\"{ids[0]}\"]", FirstEventAt = at, TriggeredAt = at, LastSeenAt = at, HitCount = 1,
            });
            var observation = new ObservationRecord
            {
                Id = "obs_" + Guid.NewGuid().ToString("D"), WorkspaceId = _workspaceId, MonitorId = "mon_x", MonitorName = "Reads", Metric = "query_count", UserId = "user_0",
                ProfileId = 1, Severity = Severity.Medium, MetricValue = 3, Threshold = 2, WindowStart = at, WindowEnd = at, Message = "3 queries", Status = AlertStatus.Open,
                CreatedAt = at, RelatedEventCount = 1,
            };
            db.Observations.Add(observation);
            await db.SaveChangesAsync();
            db.ObservationEvents.Add(new ObservationEventRecord { ObservationRowId = observation.RowId, EventId = ids[1], OccurredAt = at });
            await db.SaveChangesAsync();
        }
        await PutRetentionAsync("""{"retention_days":1}""");
        _app.Time.Advance(TimeSpan.FromDays(1));
        await RunAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/events/{ids[0]}")).StatusCode);

        var alerts = (await _client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray();
        var alert = (await _client.GetJsonAsync($"/api/v1/alerts/{alerts[0]!["id"]!.GetValue<string>()}"))["data"]!;
        Assert.Equal(ids[0], alert["event_id"]!.GetValue<string>());
        Assert.Equal(ids[0], alert["event"]!["id"]!.GetValue<string>());
        Assert.Equal("81.2.69.142", alert["event"]!["ip_address"]!.GetValue<string>());
        var observations = (await _client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray();
        var obs = (await _client.GetJsonAsync($"/api/v1/observations/{observations[0]!["id"]!.GetValue<string>()}"))["data"]!;
        Assert.Equal("3 queries", obs["message"]!.GetValue<string>());
        Assert.Equal(1, obs["related_events"]!["pagination"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task When_every_event_is_archived_the_chain_continues_from_the_cut_after_a_restart()
    {
        var data = Directory.CreateTempSubdirectory("immutable-retention-restart-").FullName;
        try
        {
            string key, lastHash;
            using (var first = new ImmutableAppFactory(data))
            {
                var created = await first.CreateKeyAsync("acme");
                key = created.Key;
                using var client = first.CreateClient();
                client.DefaultRequestHeaders.Authorization = new("Bearer", key);
                for (var i = 0; i < 4; i++) await client.IngestAsync(new { actor_id = "u", action = "a.b" });
                Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/api/v1/retention", new StringContent("""{"retention_days":1}""", Encoding.UTF8, "application/json"))).StatusCode);
                first.Time.Advance(TimeSpan.FromDays(3));
                await first.Services.GetRequiredService<RetentionArchiver>().RunAsync(created.WorkspaceId, default);
                // 4 events and the retention change's audit record, all archived.
                Assert.Empty((await client.GetJsonAsync("/api/v1/events"))["data"]!.AsArray());
                Assert.Equal(5, (await client.GetJsonAsync("/api/v1/archives"))["data"]![0]!["event_count"]!.GetValue<long>());
                lastHash = (await client.GetJsonAsync("/api/v1/retention"))["data"]!["archived_through"]!["event_hash"]!.GetValue<string>();
            }
            using var second = new ImmutableAppFactory(data, new DateTimeOffset(2026, 3, 31, 9, 0, 0, TimeSpan.Zero));
            using var again = second.CreateClient();
            again.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await again.IngestAsync(new { actor_id = "u", action = "a.c" });
            var stored = (await again.GetJsonAsync("/api/v1/events"))["data"]![0]!;
            Assert.Equal(6, stored["integrity"]!["sequence"]!.GetValue<long>());
            Assert.Equal(lastHash, stored["integrity"]!["previous_event_hash"]!.GetValue<string>());
            var verify = (await again.GetJsonAsync("/api/v1/verify"))["data"]!;
            Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
            Assert.Equal(5, verify["archived_through_sequence"]!.GetValue<long>());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_retention_job_runs_daily_at_the_configured_utc_time()
    {
        using var app = new ImmutableAppFactory().With("Retention:RunAt", "01:45");
        using var client = app.CreateClient();
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var trigger = Assert.IsAssignableFrom<ICronTrigger>(Assert.Single(await scheduler.GetTriggersOfJob(JobSchedules.Retention)));
        Assert.Equal("0 45 1 ? * *", trigger.CronExpressionString);
        Assert.Equal(TimeZoneInfo.Utc.Id, trigger.TimeZone.Id);
        Assert.True(await scheduler.Exists(JobSchedules.ExportCleanup));

        using var bad = new ImmutableAppFactory().With("Retention:RunAt", "3h30");
        Assert.Contains("Retention:RunAt must be a UTC time of day", Assert.ThrowsAny<Exception>(() => bad.CreateClient()).ToString(), StringComparison.Ordinal);
    }
}
