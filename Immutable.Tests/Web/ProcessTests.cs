using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Immutable.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Immutable.Tests.Web;

/// <summary>Tests that need the app as a real OS process: the admin CLI and crash durability.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-proc-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private static HttpClient Client(string baseUrl, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    [Fact]
    public async Task KeysCli_OnAnEmptyDataFolder_CreatesListsAndRevokesKeys()
    {
        var (code, key, stderr) = await AppProcess.RunCliAsync(_data, "keys", "create", "--workspace", "acme", "--label", "ci");
        Assert.True(code == 0, stderr);
        Assert.Matches("^imk_[0-9A-Za-z]{44}$", key);
        Assert.Contains("shown once", stderr, StringComparison.Ordinal);

        var (_, second, _) = await AppProcess.RunCliAsync(_data, "keys", "create", "--workspace", "acme", "--label", "scripts");
        var (listCode, list, _) = await AppProcess.RunCliAsync(_data, "keys", "list");
        Assert.Equal(0, listCode);
        Assert.Contains(key[..12], list, StringComparison.Ordinal);
        Assert.Contains(second[..12], list, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list, StringComparison.Ordinal);

        await using (var app = await AppProcess.StartAsync(_data))
        {
            using var http = Client(app.BaseUrl, key);
            var ok = await http.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "cli.works" });
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);

            var (revokeCode, revokeOut, _) = await AppProcess.RunCliAsync(_data, "keys", "revoke", key[..12]);
            Assert.Equal(0, revokeCode);
            Assert.Contains("Revoked 1", revokeOut, StringComparison.Ordinal);
            // Revocation by another process takes effect on the running server's next request.
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/events")).StatusCode);
        }

        var (badCode, _, usage) = await AppProcess.RunCliAsync(_data, "keys", "create");
        Assert.Equal(2, badCode);
        Assert.Contains("--workspace", usage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillDashNine_MidLoad_LosesNoAcknowledgedEvent_AndLeavesAValidChain()
    {
        var (_, key, _) = await AppProcess.RunCliAsync(_data, "keys", "create", "--workspace", "crash", "--label", "load");
        var acknowledged = new ConcurrentBag<string>();

        await using (var app = await AppProcess.StartAsync(_data))
        {
            using var http = Client(app.BaseUrl, key);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        var batch = i % 5 == 0;
                        var response = batch
                            ? await http.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 10).Select(j => new { actor_id = $"w{w}", action = "crash.batch", metadata = new { i, j } }) })
                            : await http.PostJsonAsync("/api/v1/events", new { actor_id = $"w{w}", action = "crash.single", metadata = new { i } });
                        if (response.StatusCode != HttpStatusCode.Accepted) continue;
                        var body = await response.ReadJsonAsync();
                        if (batch) foreach (var e in body["events"]!.AsArray()) acknowledged.Add(e!["id"]!.GetValue<string>());
                        else acknowledged.Add(body["id"]!.GetValue<string>());
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server died under us: requests in flight were never acknowledged
                    }
                }
            })).ToArray();

            // Let load build up, then pull the plug while requests are in flight.
            while (acknowledged.Count < 2000) await Task.Delay(20);
            app.KillHard();
            stop.Cancel();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count >= 2000);
        await using (var restarted = await AppProcess.StartAsync(_data))
        {
            using var http = Client(restarted.BaseUrl, key);
            var verify = (await http.GetJsonAsync("/api/v1/verify?limit=1000000"))["data"]!;
            Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());

            var stored = new HashSet<string>();
            await using (var db = new SqliteConnection($"Data Source={Path.Combine(_data, "immutable.db")};Mode=ReadOnly;Pooling=False"))
            {
                await db.OpenAsync();
                await using var cmd = db.CreateCommand();
                cmd.CommandText = "SELECT id FROM events";
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
            }
            var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events were lost, e.g. {lost.FirstOrDefault()}");
            Assert.Equal(stored.Count, verify["events_checked"]!.GetValue<int>());

            // The chain continues where it stopped.
            Assert.Equal(HttpStatusCode.Accepted, (await http.PostJsonAsync("/api/v1/events", new { actor_id = "after", action = "crash.recovered" })).StatusCode);
            Assert.True((await http.GetJsonAsync("/api/v1/verify?limit=1000000"))["data"]!["valid"]!.GetValue<bool>());
        }
    }
}
