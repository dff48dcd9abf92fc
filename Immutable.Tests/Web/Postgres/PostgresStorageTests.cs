using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web.Postgres;

/// <summary>
/// What only PostgreSQL has: instances sharing one database. Each test starts real hosts on a database of its own on
/// ./test.sh's throwaway server; a second host on the same data folder shares the first one's database (another
/// instance of the same deployment).
/// </summary>
public sealed class PostgresStorageTests
{
    private static ImmutableAppFactory FirstInstance() => new ImmutableAppFactory(null, null, StorageProvider.Postgres).With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1");

    private static ImmutableAppFactory SecondInstance(ImmutableAppFactory first) =>
        new ImmutableAppFactory(first.DataDirectory, null, StorageProvider.Postgres).With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1");

    private static HttpClient Client(ImmutableAppFactory host, string key)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    private static List<(string Id, long Sequence)> StoredEvents(ImmutableAppFactory host, string workspaceId)
    {
        using var connection = host.OpenStore();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, sequence FROM events WHERE workspace_id = '{workspaceId}' ORDER BY sequence";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, long)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.GetInt64(1)));
        return rows;
    }

    [PostgresFact]
    public async Task Migrations_TwoInstancesStartingTogether_MigrateOnceAndBothServe()
    {
        using var a = FirstInstance();
        using var b = SecondInstance(a);
        // Both run their start-up migration at the same moment against an empty database.
        await Task.WhenAll(Task.Run(() => a.Services), Task.Run(() => b.Services));

        foreach (var host in new[] { a, b })
        {
            var ready = await host.CreateClient().GetAsync("/readyz");
            Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        }
        await using var db = await a.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var applied = (await db.Database.GetAppliedMigrationsAsync()).ToList();
        Assert.Equal(db.Database.GetMigrations().ToList(), applied);
        Assert.IsType<PostgresImmutableDbContext>(db);
    }

    /// <summary>Issue 13 item 2: appends from both instances into one workspace serialize on the workspace's advisory lock.</summary>
    [PostgresFact]
    public async Task ChainWriter_SixteenWritersAcrossTwoInstances_EveryAcknowledgedIdStoredOnce_GapFree_Valid()
    {
        using var a = FirstInstance();
        var keyA = await a.CreateKeyAsync("shared", "instance a");
        var keyB = await a.CreateKeyAsync("shared", "instance b");
        using var b = SecondInstance(a);
        var clients = new[] { Client(a, keyA.Key), Client(b, keyB.Key) };

        const int writers = 16, requestsPerWriter = 15;
        var acknowledged = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var client = clients[w % 2];
            for (var i = 0; i < requestsPerWriter; i++)
            {
                if (i % 3 == 2)
                {
                    // A batch: its events get consecutive places in the chain, whichever instance commits around it.
                    var response = await client.PostJsonAsync("/api/v1/events/batch", new { events = new[] { new { actor_id = $"w{w}", action = "load.batch" }, new { actor_id = $"w{w}", action = "load.batch" } } });
                    var body = await response.ReadJsonAsync();
                    Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
                    foreach (var item in body["events"]!.AsArray()) acknowledged.Add(item!["id"]!.GetValue<string>());
                }
                else
                {
                    acknowledged.Add(await client.IngestAsync(new { actor_id = $"w{w}", action = "load.single", metadata = new { i } }));
                }
            }
        })));

        var stored = StoredEvents(a, keyA.WorkspaceId);
        Assert.Equal(acknowledged.Count, stored.Count);
        Assert.Equal(acknowledged.OrderBy(x => x, StringComparer.Ordinal), stored.Select(s => s.Id).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(s => s.Sequence));
        foreach (var client in clients)
        {
            var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
            Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
            Assert.Equal(stored.Count, verify["events_checked"]!.GetValue<int>());
        }
    }

    [PostgresFact]
    public async Task Idempotency_OneKeyPostedToBothInstancesAtOnce_StoredOnce()
    {
        using var a = FirstInstance();
        var keyA = await a.CreateKeyAsync("shared", "instance a");
        var keyB = await a.CreateKeyAsync("shared", "instance b");
        using var b = SecondInstance(a);
        var clients = new[] { Client(a, keyA.Key), Client(b, keyB.Key) };

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            clients[i % 2].PostJsonAsync("/api/v1/events", new { actor_id = "u1", action = "invoice.paid", idempotency_key = "pay-42" })));
        var bodies = await Task.WhenAll(responses.Select(r => r.ReadJsonAsync()));
        var ids = bodies.Select(body => body["id"]!.GetValue<string>()).Distinct().ToList();
        Assert.Single(ids);
        Assert.Single(StoredEvents(a, keyA.WorkspaceId));
        Assert.Equal(23, bodies.Count(body => body["status"]!.GetValue<string>() == "duplicate"));
    }

    /// <summary>Search, action prefixes and exact filters give the same answers on both stores (case rules, ordinal ranges, wildcards).</summary>
    [PostgresFact]
    public async Task EventsQuery_CaseRulesPrefixesAndWildcards_SameAnswersOnSqliteAndPostgres()
    {
        using var sqlite = new ImmutableAppFactory(null, null, StorageProvider.Sqlite);
        using var postgres = FirstInstance();
        (string Actor, string Name, string Action, string Resource)[] events =
        [
            ("ana", "Jordan Lee", "document.created", "Q1 report"),
            ("Ana", "JORDAN lee", "Document.created", "q1 REPORT"),
            ("bob", "Émile Zola", "document.deleted", "100% done"),
            ("bob", "émile zola", "document-shared.x", "under_score"),
            ("carl", "Zoë", "documents.viewed", "back\\slash"),
            ("carl", "zoë", "document.zz", "plain"),
            ("dana", "Dana", "doc.x", "100 done"),
            ("dana", "DANA", "document:y", "underXscore"),
        ];
        string[] queries =
        [
            "search=jordan", "search=JORDAN", "search=%C3%A9mile", "search=%C3%89MILE", "search=zo%C3%AB", "search=ZO%C3%8B",
            "search=100%25", "search=under_", "search=back%5Cslash", "search=report",
            "action=document.*", "action=Document.*", "action=doc*", "action=document.created", "action=document.zz",
            "actor_id=ana", "actor_id=Ana", "resource_id=none", "order=asc&limit=3",
        ];
        var answers = new List<List<string>>();
        foreach (var host in new[] { sqlite, postgres })
        {
            var client = await host.CreateWorkspaceClientAsync("semantics");
            foreach (var e in events)
                await client.IngestAsync(new { actor_id = e.Actor, actor_name = e.Name, action = e.Action, resource = "doc", resource_name = e.Resource });
            var answer = new List<string>();
            foreach (var query in queries)
            {
                var data = (await client.GetJsonAsync("/api/v1/events?" + query))["data"]!.AsArray();
                answer.Add(query + " -> " + string.Join(",", data.Select(d => d!["integrity"]!["sequence"]!.GetValue<long>())));
            }
            answers.Add(answer);
        }
        Assert.Equal(answers[0], answers[1]);
        // And the answers are the ones the rules say (not merely equal): ASCII folds, other letters do not.
        Assert.Contains("search=jordan -> 2,1", answers[1]);
        Assert.Contains("search=%C3%A9mile -> 4", answers[1]);
        // document.* is the ordinal range [document., document/): not Document.created, document-shared.x, documents.viewed or document:y.
        Assert.Contains("action=document.* -> 6,3,1", answers[1]);
    }

    /// <summary>Issue 13 item 3 (webhooks): both instances dispatch the same outbox at once; each delivery is sent once.</summary>
    [PostgresFact]
    public async Task WebhookOutbox_BothInstancesDispatchAtOnce_EachDeliverySentOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The background loops look once a minute: the race below is between the two dispatchers, started together.
        using var a = FirstInstance().With("Webhooks:PollSeconds", "60");
        var client = await a.CreateWorkspaceClientAsync("shared");
        using var b = SecondInstance(a).With("Webhooks:PollSeconds", "60");
        var dispatchers = new[] { a, b }.Select(h => h.Services.GetRequiredService<WebhookDispatcher>()).ToList();
        var created = await client.PostJsonAsync("/api/v1/webhook-endpoints", $$"""{"url":"{{receiver.Url}}","record_types":["alerts"]}""");
        var endpoint = (await created.ReadJsonAsync())["data"]!;
        receiver.Secret = endpoint["secret"]!.GetValue<string>();

        // 60 due rows in the outbox, as detection writes them.
        var factory = a.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var workspace = await db.WebhookEndpoints.Where(e => e.Id == endpoint["id"]!.GetValue<string>()).Select(e => e.WorkspaceId).SingleAsync();
            var now = a.Time.GetUtcNow().UtcDateTime;
            for (var i = 0; i < 60; i++)
            {
                db.Deliveries.Add(new DeliveryRecord
                {
                    Id = "dlv_" + Guid.NewGuid().ToString("N"), WorkspaceId = workspace, EndpointId = endpoint["id"]!.GetValue<string>(),
                    EventType = "alert.created", Payload = $$"""{"n":{{i}}}""", Status = "pending", NextAttemptAt = now, CreatedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }
        // Both instances' dispatchers at once, twice over, on the same due rows.
        using var go = new ManualResetEventSlim();
        var racers = dispatchers.Concat(dispatchers).Select(d => Task.Run(async () => { go.Wait(); return await d.DispatchDueAsync(CancellationToken.None); })).ToList();
        go.Set();
        var attempted = await Task.WhenAll(racers);
        Assert.Equal(60, attempted.Sum());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 20_000)
        {
            await using var db = await factory.CreateDbContextAsync();
            if (await db.Deliveries.CountAsync(d => d.Status == "delivered") == 60) break;
            await Task.Delay(50);
        }
        var ids = receiver.Requests.Select(r => r.Headers[WebhookSigner.DeliveryHeader]).ToList();
        Assert.Equal(60, ids.Distinct().Count());
        Assert.Equal(60, ids.Count);
        Assert.All(receiver.Requests, r => Assert.True(r.SignatureValid));
    }

    [PostgresFact]
    public async Task WebhookOutbox_BothInstancesRecordFailuresAtOnce_EveryFailureCounted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Behavior = _ => (500, TimeSpan.Zero);
        using var a = FirstInstance().With("Webhooks:PollSeconds", "60").With("Webhooks:PauseAfterFailures", "1000");
        var client = await a.CreateWorkspaceClientAsync("shared");
        using var b = SecondInstance(a).With("Webhooks:PollSeconds", "60").With("Webhooks:PauseAfterFailures", "1000");
        var dispatchers = new[] { a, b }.Select(h => h.Services.GetRequiredService<WebhookDispatcher>()).ToList();
        var created = await client.PostJsonAsync("/api/v1/webhook-endpoints", $$"""{"url":"{{receiver.Url}}","record_types":["alerts"]}""");
        var endpointId = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();

        var factory = a.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var workspace = await db.WebhookEndpoints.Where(e => e.Id == endpointId).Select(e => e.WorkspaceId).SingleAsync();
            var now = a.Time.GetUtcNow().UtcDateTime;
            for (var i = 0; i < 60; i++)
            {
                db.Deliveries.Add(new DeliveryRecord
                {
                    Id = "dlv_" + Guid.NewGuid().ToString("N"), WorkspaceId = workspace, EndpointId = endpointId,
                    EventType = "alert.created", Payload = $$"""{"n":{{i}}}""", Status = "pending", NextAttemptAt = now, CreatedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }
        // Both instances send and record failed attempts to the one endpoint at once.
        using var go = new ManualResetEventSlim();
        var racers = dispatchers.Concat(dispatchers).Select(d => Task.Run(async () => { go.Wait(); return await d.DispatchDueAsync(CancellationToken.None); })).ToList();
        go.Set();
        Assert.Equal(60, (await Task.WhenAll(racers)).Sum());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 20_000)
        {
            await using var db = await factory.CreateDbContextAsync();
            if (await db.DeliveryAttempts.CountAsync() == 60) break;
            await Task.Delay(50);
        }
        await using (var db = await factory.CreateDbContextAsync())
        {
            Assert.Equal(60, await db.DeliveryAttempts.CountAsync());
            // Read-modify-write from two instances would lose some: every failed attempt is counted.
            Assert.Equal(60, (await db.WebhookEndpoints.AsNoTracking().SingleAsync(e => e.Id == endpointId)).ConsecutiveFailures);
        }
    }
}
