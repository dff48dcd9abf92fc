using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Npgsql;

namespace Immutable.Tests.Web.MultiInstance;

/// <summary>
/// Issue 13 item 6: the deployment of deploy/ (two app instances, one PostgreSQL) as real processes. Every wait is a
/// generous loop on an observable state, never a timing assertion.
/// </summary>
[Trait("Postgres", "run")]
[Trait("MultiInstance", "true")]
public sealed partial class ClusterProcessTests(TwoInstances cluster) : IClassFixture<TwoInstances>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"not reached within {Patience.TotalSeconds} s: {what}");
    }

    [MultiInstanceFact]
    public async Task Cluster_SixteenWritersOnTwoProcesses_OneKilledMidLoadAndRestarted_EveryAcknowledgedEventStoredOnce_GapFree_Valid()
    {
        var (workspaceId, key) = await cluster.CreateWorkspaceAsync("load-" + Suffix());
        var clientB = TwoInstances.Client(cluster.B, key);
        // Writer w sends to targets[w % 2]; while A is down its writers go to B, then to the restarted A.
        var targets = new[] { TwoInstances.Client(cluster.A, key), clientB };
        var acknowledged = new ConcurrentDictionary<string, string>(); // idempotency key → acknowledged id
        var acknowledgedBy = new ConcurrentDictionary<HttpClient, int>();
        var refused = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var batch = i % 5 == 4;
                var idempotency = $"w{w}-{i}";
                // The same request (same idempotency keys) until an instance acknowledges it: one that reached A
                // just before the kill may be stored already, and must then come back as that event, not a second.
                // Sent again even after the stop, so that everything stored was acknowledged in the end.
                for (var attempt = 0; ; attempt++)
                {
                    if (attempt == 500)
                    {
                        refused.Enqueue($"{idempotency}: never acknowledged");
                        return;
                    }
                    var client = Volatile.Read(ref targets[w % 2]);
                    try
                    {
                        var response = batch
                            ? await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 5).Select(j => new { actor_id = $"w{w}", action = "load.batch", idempotency_key = $"{idempotency}-{j}" }) })
                            : await client.PostJsonAsync("/api/v1/events", new { actor_id = $"w{w}", action = "load.single", idempotency_key = idempotency });
                        var body = await response.ReadJsonAsync();
                        if (response.StatusCode != HttpStatusCode.Accepted)
                        {
                            refused.Enqueue($"{(int)response.StatusCode} {body.ToJsonString()}");
                            await Task.Delay(20);
                            continue;
                        }
                        if (batch)
                        {
                            var events = body["events"]!.AsArray();
                            for (var j = 0; j < events.Count; j++) acknowledged[$"{idempotency}-{j}"] = events[j]!["id"]!.GetValue<string>();
                        }
                        else acknowledged[idempotency] = body["id"]!.GetValue<string>();
                        acknowledgedBy.AddOrUpdate(client, 1, (_, n) => n + 1);
                        break;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        await Task.Delay(20); // the instance died under the request: not acknowledged, sent again
                    }
                }
            }
        })).ToList();

        int AcknowledgedBy(HttpClient client) => acknowledgedBy.GetValueOrDefault(client);
        await WaitUntilAsync(() => Task.FromResult(AcknowledgedBy(targets[0]) >= 200 && AcknowledgedBy(clientB) >= 200), "load on both instances");

        cluster.KillA(); // kill -9 while requests are in flight on both
        var firstA = targets[0];
        Volatile.Write(ref targets[0], clientB);
        await cluster.RestartAAsync();
        var restartedA = TwoInstances.Client(cluster.A, key);
        Volatile.Write(ref targets[0], restartedA);
        await WaitUntilAsync(() => Task.FromResult(AcknowledgedBy(restartedA) >= 200), "load on the restarted instance");
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        firstA.Dispose();

        Assert.Empty(refused);
        var stored = new List<(string Id, long Sequence, string? Idempotency)>();
        await using (var connection = cluster.OpenDatabase())
        await using (var command = new NpgsqlCommand("SELECT id, sequence, idempotency_key FROM events WHERE workspace_id = @ws ORDER BY sequence", connection))
        {
            command.Parameters.AddWithValue("ws", workspaceId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        // Gap-free: 1..n, one chain whichever instance appended.
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(s => s.Sequence));
        // Every acknowledged event is stored, once, under the id it was acknowledged with (a resend after the kill
        // got the stored event back, not a second one).
        var byIdempotency = stored.Where(s => s.Idempotency is not null).GroupBy(s => s.Idempotency!).ToDictionary(g => g.Key, g => g.Select(s => s.Id).ToList());
        var lost = acknowledged.Where(a => !byIdempotency.ContainsKey(a.Key)).Select(a => a.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events were lost, e.g. {lost.FirstOrDefault()}");
        Assert.All(acknowledged, a => Assert.Equal(new[] { a.Value }, byIdempotency[a.Key]));
        Assert.Equal(stored.Count, stored.Select(s => s.Id).Distinct().Count());
        // Nothing stored that was not acknowledged in the end (a send that died with A may have been stored: it was
        // sent again and acknowledged as the duplicate of that event).
        Assert.Equal(acknowledged.Count, stored.Count);

        foreach (var client in new[] { restartedA, clientB })
        {
            var verify = (await client.GetJsonAsync("/api/v1/verify?limit=1000000"))["data"]!;
            Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
            Assert.Equal(stored.Count, verify["events_checked"]!.GetValue<int>());
        }
    }
}
