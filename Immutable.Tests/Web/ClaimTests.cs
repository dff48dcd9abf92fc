using Immutable.Domain.Chain;
using Immutable.Tests.TestSupport;
using Immutable.Web.Delivery.Email;
using Immutable.Web.Detection;
using Immutable.Web.Exports;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>
/// Background work claimed through the database, on a real store (SQLite; PostgreSQL in ./test.sh's second run): a
/// second claimer over the same database stands for a second instance (its own lease owner), the host's fake clock
/// decides when a dead instance's lease has expired.
/// </summary>
[Trait("Postgres", "run")]
public sealed class ClaimTests : IAsyncLifetime
{
    private SmtpServer _smtp = null!;
    private ImmutableAppFactory _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpServer.StartAsync();
        _app = new ImmutableAppFactory()
            .WithSmtp(_smtp).With("Email:PollSeconds", "60");
    }

    public Task DisposeAsync()
    {
        _app.Dispose();
        _smtp.Dispose();
        return Task.CompletedTask;
    }

    private IDbContextFactory<ImmutableDbContext> Factory => _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();

    /// <summary>The lease store of another instance sharing this database.</summary>
    private LeaseStore OtherInstance(string owner = "instance-b") => new(Factory, new LeaseOwner(owner), _app.Time);

    [Fact]
    public async Task Email_TwoSendersOverOneDatabase_EachDigestSentOnce()
    {
        var key = await _app.CreateKeyAsync("acme");
        await using (var db = await Factory.CreateDbContextAsync())
        {
            db.WorkspaceMembers.AddRange(
                new WorkspaceMemberRecord { WorkspaceId = key.WorkspaceId, Email = "owner@acme.io", Role = Immutable.Web.Accounts.Role.Owner },
                new WorkspaceMemberRecord { WorkspaceId = key.WorkspaceId, Email = "admin@acme.io", Role = Immutable.Web.Accounts.Role.Admin });
            for (var i = 0; i < 3; i++) db.EmailItems.Add(Item(key.WorkspaceId, i));
            await db.SaveChangesAsync();
        }
        var mine = _app.Services.GetRequiredService<EmailSender>();
        var other = new EmailSender(Factory, _app.Services.GetRequiredService<IOptions<EmailOptions>>(), OtherInstance(), _app.Time, NullLogger<EmailSender>.Instance);

        // Both instances at once, twice over: one digest per recipient, whoever sends it.
        var sent = await RaceAsync(mine, other);
        Assert.Equal(2, sent);
        await _smtp.WaitForMessagesAsync(2);
        Assert.Equal(2, _smtp.Messages.Count);
        Assert.Contains(_smtp.Messages, m => m.Contains("3 new findings", StringComparison.Ordinal));

        // A new finding inside the digest period waits, on both instances; after it, it is sent once.
        await using (var db = await Factory.CreateDbContextAsync())
        {
            db.EmailItems.Add(Item(key.WorkspaceId, 3));
            await db.SaveChangesAsync();
        }
        Assert.Equal(0, await RaceAsync(mine, other));
        _app.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(2, await RaceAsync(mine, other));
        await _smtp.WaitForMessagesAsync(4);
        Assert.Equal(4, _smtp.Messages.Count);
    }

    private static EmailItemRecord Item(string workspaceId, int n) => new()
    {
        WorkspaceId = workspaceId, Kind = "alert", RecordId = "alt_" + n, Severity = "high", Title = "Finding " + n,
        Reason = "reason " + n, Link = "https://immutable.example/alerts/alt_" + n, CreatedAt = new DateTime(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc),
    };

    private static async Task<int> RaceAsync(EmailSender a, EmailSender b)
    {
        using var go = new ManualResetEventSlim();
        var racers = new[] { a, b, a, b }.Select(s => Task.Run(async () => { go.Wait(); return await s.SendDueAsync(CancellationToken.None); })).ToList();
        go.Set();
        return (await Task.WhenAll(racers)).Sum();
    }

    private async Task<string> ProcessingExportAsync()
    {
        var key = await _app.CreateKeyAsync("exports-" + Guid.NewGuid().ToString("N")[..6]);
        var ws = key.WorkspaceId;
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        for (var i = 0; i < 12; i++) await client.IngestAsync(new { actor_id = "u" + i, action = "a.b" });
        var id = "exp_" + Guid.NewGuid().ToString("D");
        await using var db = await Factory.CreateDbContextAsync();
        var now = Timestamps.ToMicroseconds(_app.Time.GetUtcNow());
        db.Exports.Add(new ExportRecord { Id = id, WorkspaceId = ws, Status = ExportStatus.Processing, Format = ExportFormat.Csv, Filters = "{}", SnapshotSequence = 12, CreatedBy = "api_key:t", CreatedAt = now, StartedAt = now, ExpiresAt = now.AddHours(24) });
        await db.SaveChangesAsync();
        return id;
    }

    private async Task<ExportStatus> StatusAsync(string exportId)
    {
        await using var db = await Factory.CreateDbContextAsync();
        return (await db.Exports.AsNoTracking().SingleAsync(e => e.Id == exportId)).Status;
    }

    [Fact]
    public async Task Export_LeasedByADeadInstance_SkippedUntilItsLeaseExpires_ThenTakenOver()
    {
        var id = await ProcessingExportAsync();
        // The instance writing it died a moment ago: its lease still runs.
        Assert.True(await OtherInstance("dead-instance").TryAcquireAsync(ExportRunner.LeaseName(id), ExportRunner.Lease, CancellationToken.None));
        var runner = _app.Services.GetRequiredService<ExportRunner>();

        Assert.False(await runner.RunAsync(id, CancellationToken.None));
        Assert.Equal(ExportStatus.Processing, await StatusAsync(id));

        _app.Time.Advance(ExportRunner.Lease);
        await runner.RunAsync(id, CancellationToken.None); // or the worker's sweep got there first
        Assert.Equal(ExportStatus.Completed, await StatusAsync(id));
    }

    [Fact]
    public async Task Export_RunByTwoInstancesAtOnce_WrittenByOne()
    {
        for (var round = 0; round < 3; round++)
        {
            var id = await ProcessingExportAsync();
            var mine = _app.Services.GetRequiredService<ExportRunner>();
            var other = new ExportRunner(Factory, _app.Services.GetRequiredService<ExportFiles>(), _app.Services.GetRequiredService<IExportProofSource>(),
                _app.Services.GetRequiredService<IOptions<ExportOptions>>(), OtherInstance(), _app.Time, NullLogger<ExportRunner>.Instance);
            using var go = new ManualResetEventSlim();
            var racers = new[] { mine, other }.Select(r => Task.Run(async () => { go.Wait(); return await r.RunAsync(id, CancellationToken.None); })).ToList();
            go.Set();
            var ran = await Task.WhenAll(racers);
            Assert.Equal(1, ran.Count(r => r));
            Assert.Equal(ExportStatus.Completed, await StatusAsync(id));
        }
    }

    [Fact]
    public async Task Detection_WorkspaceLeasedByAnotherInstance_NotEvaluatedHere_UntilTheLeaseExpires()
    {
        var key = await _app.CreateKeyAsync("detect");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");
        await client.SettleAsync(_app);
        // This instance's lease on the (idle) workspace runs out; another instance takes the stream (and then dies).
        _app.Time.Advance(StreamEvaluator.Lease);
        Assert.True(await OtherInstance().TryAcquireAsync(StreamEvaluator.LeaseName(key.WorkspaceId), StreamEvaluator.Lease, CancellationToken.None));

        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
        var evaluator = _app.Services.GetRequiredService<StreamEvaluator>();
        Assert.Equal(0, await evaluator.ProcessAsync(key.WorkspaceId, CancellationToken.None));
        Assert.Empty((await client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray());

        _app.Time.Advance(StreamEvaluator.Lease);
        await client.SettleAsync(_app); // this instance's safety-net sweep takes the workspace over
        var alert = Assert.Single((await client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray());
        Assert.Equal("new_country", alert!["rule_type"]!.GetValue<string>());
        // And the other one, back from a pause, does not get it back while this instance holds it.
        Assert.False(await OtherInstance().TryAcquireAsync(StreamEvaluator.LeaseName(key.WorkspaceId), StreamEvaluator.Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Monitors_WorkspaceLeasedByAnotherInstance_NotEvaluatedHere_UntilTheLeaseExpires()
    {
        var key = await _app.CreateKeyAsync("monitored");
        var ws = key.WorkspaceId;
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var created = await client.PostJsonAsync("/api/v1/monitors", """
            {"name":"Unauthorized prod queries","scope":{"type":"schema","value":"prod"},"metric":"unauthorized_query_count",
             "timeframe_minutes":60,"thresholds":[{"value":2,"severity":"medium"}],"notify":"each"}
            """);
        Assert.True(created.IsSuccessStatusCode, (await created.ReadJsonAsync()).ToJsonString());
        var start = _app.Time.GetUtcNow().UtcDateTime.AddMinutes(-30);
        for (var i = 0; i < 4; i++)
            await client.IngestAsync(new { actor_id = "dana", action = "query.executed", occurred_at = Timestamps.ToIso(start.AddMinutes(i)), metadata = new { schema = "prod", outcome = "unauthorized" } });
        Assert.True(await OtherInstance().TryAcquireAsync(Immutable.Web.Monitors.MonitorEvaluator.LeaseName(ws), Immutable.Web.Monitors.MonitorEvaluator.Lease, CancellationToken.None));
        var evaluator = _app.Services.GetRequiredService<Immutable.Web.Monitors.MonitorEvaluator>();

        Assert.Equal(0, await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, CancellationToken.None));
        Assert.Empty((await client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray());

        _app.Time.Advance(Immutable.Web.Monitors.MonitorEvaluator.Lease);
        Assert.Equal(1, await evaluator.EvaluateWorkspaceAsync(ws, int.MaxValue, CancellationToken.None));
        Assert.Single((await client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray());
    }

    [Fact]
    public async Task Checkpoints_TwoInstancesSignWhileEventsArrive_EachRangeSignedOnce_CheckpointsStayOneChain()
    {
        var key = await _app.CreateKeyAsync("signed");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var mine = _app.Services.GetRequiredService<CheckpointWriter>();
        var other = new CheckpointWriter(Factory, _app.Services.GetRequiredService<SigningKeys>(), _app.Services.GetRequiredService<WitnessFiles>(),
            OtherInstance(), _app.Services.GetRequiredService<IOptions<IntegrityOptions>>(), _app.Time, NullLogger<CheckpointWriter>.Instance);

        // Both instances sign from the same last checkpoint while the head moves: without one writer at a time, two
        // checkpoints start at the same sequence and verify reports a removed checkpoint.
        for (var round = 0; round < 6; round++)
        {
            using var go = new ManualResetEventSlim();
            var ingest = Task.Run(async () => { go.Wait(); for (var i = 0; i < 20; i++) await client.IngestAsync(new { actor_id = "u" + i, action = "a.b" }); });
            var writers = new[] { mine, other, mine, other }.Select(w => Task.Run(async () =>
            {
                go.Wait();
                for (var i = 0; i < 5; i++) await w.WriteIfDueAsync(key.WorkspaceId, force: true, CancellationToken.None);
            })).ToList();
            go.Set();
            await Task.WhenAll(writers.Append(ingest));
        }

        await using (var db = await Factory.CreateDbContextAsync())
        {
            var checkpoints = await db.Checkpoints.AsNoTracking().Where(c => c.WorkspaceId == key.WorkspaceId).OrderBy(c => c.Sequence).ToListAsync();
            Assert.True(checkpoints.Count >= 2);
            for (var i = 0; i < checkpoints.Count; i++)
                Assert.Equal(i == 0 ? 1 : checkpoints[i - 1].Sequence + 1, checkpoints[i].FirstSequence);
        }
        var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
    }

    [Fact]
    public async Task WebhookCounter_ManyRecordersAtOnce_EveryFailureCounted()
    {
        var ws = (await _app.CreateKeyAsync("hooks")).WorkspaceId;
        var endpointId = "whe_" + Guid.NewGuid().ToString("N");
        await using (var db = await Factory.CreateDbContextAsync())
        {
            var now = _app.Time.GetUtcNow().UtcDateTime;
            db.WebhookEndpoints.Add(new WebhookEndpointRecord { Id = endpointId, WorkspaceId = ws, Url = "https://hooks.example/x", Secret = "s", Enabled = true, RecordTypes = "[\"alerts\"]", CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync();
        }
        // 20 recorders (as on two instances), each one failed attempt, each in its own transaction, all at once.
        using var go = new ManualResetEventSlim();
        var recorders = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            go.Wait();
            await using var db = await Factory.CreateDbContextAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            await EndpointCounters.CountAsync(db, endpointId, restart: false, failures: 1, CancellationToken.None);
            await tx.CommitAsync();
        })).ToList();
        go.Set();
        await Task.WhenAll(recorders);
        await using (var db = await Factory.CreateDbContextAsync())
            Assert.Equal(20, (await db.WebhookEndpoints.AsNoTracking().SingleAsync(e => e.Id == endpointId)).ConsecutiveFailures);

        // Two pause at once: one pauses (and would email), the other finds it paused.
        var paused = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var db = await Factory.CreateDbContextAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            var done = await EndpointCounters.TryPauseAsync(db, endpointId, "20 failed attempts in a row", _app.Time.GetUtcNow().UtcDateTime, CancellationToken.None);
            await tx.CommitAsync();
            return done;
        })));
        Assert.Equal(1, paused.Count(p => p));
    }

    [Fact]
    public async Task LogStreams_TwoPumpsOverOneDatabase_PutEachEventInTheOutboxOnce()
    {
        var client = await _app.With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1").CreateWorkspaceClientAsync("acme");
        // The outbox rows are what this test reads (a receiver that accepts everything keeps the stream active).
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await client.PostJsonAsync("/api/v1/log-streams", $$"""{"type":"webhook","url":"{{receiver.Url}}"}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var streamId = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();
        // Two more instances beside the host's own worker (each its own lease owner), all pumping while events arrive,
        // as instances woken by the same commits would.
        var b = ActivatorUtilities.CreateInstance<Immutable.Web.Streams.LogStreamWorker>(_app.Services, OtherInstance("instance-b"));
        var c = ActivatorUtilities.CreateInstance<Immutable.Web.Streams.LogStreamWorker>(_app.Services, OtherInstance("instance-c"));
        Task PumpBoth() => Task.WhenAll(b.PumpAsync(everyWorkspace: true, CancellationToken.None), c.PumpAsync(everyWorkspace: true, CancellationToken.None));
        var ids = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 3; i++) ids.Add(await client.IngestAsync(new { actor_id = "u", action = "document.read", resource_id = $"doc_{round}_{i}" }));
            await PumpBoth();
        }

        async Task<List<string>> StreamedAsync()
        {
            await using var db = await Factory.CreateDbContextAsync();
            var payloads = await db.Deliveries.AsNoTracking().Where(d => d.EndpointId == streamId).Select(d => d.Payload).ToListAsync();
            return payloads.SelectMany(p =>
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(p)!;
                var envelopes = node["event_type"]!.GetValue<string>() == "event.batch" ? node["events"]!.AsArray().Select(e => e!) : [node];
                return envelopes.Select(e => e["data"]!["id"]!.GetValue<string>());
            }).ToList();
        }
        // Whoever holds the lease (the clock is frozen: it never expires) catches up.
        var streamed = await StreamedAsync();
        for (var wait = 0; wait < 200 && !ids.All(streamed.Contains); wait++)
        {
            await PumpBoth();
            await Task.Delay(50);
            streamed = await StreamedAsync();
        }
        Assert.All(ids, id => Assert.Single(streamed, s => s == id));
        Assert.Equal(streamed.Count, streamed.Distinct().Count());
    }
}
