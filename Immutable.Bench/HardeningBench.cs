using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Immutable.Bench;

/// <summary>
/// The memory figures of the hardening issue (scripts/measure-hardening.sh): the app's resident set (VmRSS of its
/// process, sampled every 50 ms) before and during hostile webhook peers, concurrent verifications of a large chain,
/// and a stream of distinct actors and addresses through five rules.
/// </summary>
internal static class HardeningBench
{
    /// <summary>4 raw-socket peers each answering 200 MiB; 4 alerts × 4 endpoints = 16 deliveries at once.</summary>
    public static async Task<int> HostileWebhooksAsync(HttpClient http, int pid, int peers, int firstPort, string results)
    {
        var listeners = Enumerable.Range(0, peers).Select(i => new HugeBodyPeer(firstPort + i)).ToList();
        try
        {
            var endpointIds = new List<string>();
            foreach (var peer in listeners)
            {
                var created = await PostAsync(http, "/api/v1/webhook-endpoints", $$"""{"url":"{{peer.Url}}","record_types":["alerts"]}""");
                endpointIds.Add(created["data"]!["id"]!.GetValue<string>());
            }
            await PostAsync(http, "/api/v1/alert-rules", """{"name":"measure: every event","rule_type":"off_hours","cooldown_minutes":0,"channels":["webhook"],"conditions":{"action_pattern":"measure.hostile","timezone":"UTC","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""");
            await Task.Delay(500);
            using var rss = RssSampler.Start(pid);
            var events = string.Join(",", Enumerable.Range(0, 4).Select(n => $$"""{"actor_id":"hostile_{{n}}","action":"measure.hostile"}"""));
            await PostAsync(http, "/api/v1/events/batch", $$"""{"events":[{{events}}]}""");

            var expected = 4 * peers;
            var delivered = 0;
            var clock = Stopwatch.StartNew();
            var excerpts = new List<int>();
            while (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                delivered = 0;
                excerpts.Clear();
                foreach (var id in endpointIds)
                {
                    var page = await GetAsync(http, $"/api/v1/webhook-endpoints/{id}/deliveries");
                    foreach (var d in page["data"]!.AsArray())
                        if (d!["delivered_at"] is not null)
                        {
                            delivered++;
                            excerpts.Add(d["attempt_log"]!.AsArray().LastOrDefault()?["response_excerpt"]?.GetValue<string>().Length ?? 0);
                        }
                }
                if (delivered >= expected) break;
                await Task.Delay(100);
            }
            await Task.Delay(1000); // let the connections close before the last samples
            var (baseline, peak) = rss.Stop();
            var bytesSent = listeners.Sum(p => p.BytesWritten);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hostile webhooks: {delivered}/{expected} deliveries to {peers} peers answering 200 MiB each in {clock.Elapsed.TotalSeconds:F1} s; " +
                $"excerpts ≤ {(excerpts.Count > 0 ? excerpts.Max() : 0)} chars; peers wrote {bytesSent / 1048576.0:F1} MiB before the drops; " +
                $"app RSS {baseline:F0} MB → peak {peak:F0} MB (growth {peak - baseline:F0} MB; must be < 50)"));
            BenchResults.Record(results, "hardening.webhooks.rss_growth_mb", peak - baseline);
            return delivered == expected && peak - baseline < 50 ? 0 : 1;
        }
        finally
        {
            foreach (var peer in listeners) peer.Dispose();
        }
    }

    /// <summary><paramref name="concurrency"/> verifications of the whole chain at once (limit = 1 000 000).</summary>
    public static async Task<int> VerifyAsync(HttpClient http, int pid, int concurrency, int events, string results)
    {
        await Task.Delay(500);
        using var rss = RssSampler.Start(pid);
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            using var response = await http.GetAsync("/api/v1/verify?limit=1000000");
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, Body: body);
        }));
        var elapsed = clock.Elapsed;
        await Task.Delay(500);
        var (baseline, peak) = rss.Stop();
        var ok = answers.Where(a => a.StatusCode == HttpStatusCode.OK).Select(a => JsonNode.Parse(a.Body)!["data"]!).ToList();
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var checkedCounts = string.Join("/", ok.Select(d => d["events_checked"]!.GetValue<long>()));
        var valid = ok.All(d => d["valid"]!.GetValue<bool>());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: {concurrency} concurrent GET /verify of {events} events: {ok.Count} answered 200 (events_checked {checkedCounts}, valid {valid}), {refused} answered 429, in {elapsed.TotalSeconds:F1} s; " +
            $"app RSS {baseline:F0} MB → peak {peak:F0} MB (growth {peak - baseline:F0} MB; must be < 100)"));
        BenchResults.Record(results, $"hardening.verify.c{concurrency}.rss_growth_mb", peak - baseline);
        return ok.Count > 0 && valid && ok.All(d => d["events_checked"]!.GetValue<long>() == events) && peak - baseline < 100 ? 0 : 1;
    }

    /// <summary>
    /// Five rules (new_country, impossible_travel, repeated_action by IP, high_volume_destructive, off_hours), then
    /// <paramref name="events"/> events, each of a new actor from a new public address, in batches of 100; waits
    /// until detection has caught up (the workspace's alert count stops moving and the last event is evaluated).
    /// </summary>
    public static async Task<int> RuleMemoryAsync(HttpClient http, int pid, int events, string database, string results)
    {
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"New country","rule_type":"new_country"}""");
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"Travel","rule_type":"impossible_travel"}""");
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"Brute force","rule_type":"repeated_action","conditions":{"action_pattern":"auth.login_failed","threshold":3,"window_minutes":10,"group_by":"ip_address"}}""");
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"Mass delete","rule_type":"high_volume_destructive","conditions":{"threshold":3,"window_minutes":5}}""");
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"Night","rule_type":"off_hours","conditions":{"start_hour":0,"end_hour":6,"timezone":"UTC"}}""");
        await Task.Delay(500);
        using var rss = RssSampler.Start(pid);
        var clock = Stopwatch.StartNew();
        var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        string[] actions = ["auth.login", "auth.login_failed", "document.deleted", "document.viewed"];
        await Parallel.ForEachAsync(Enumerable.Range(0, (events + 99) / 100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, ct) =>
        {
            var sb = new StringBuilder("{\"events\":[");
            for (var n = b * 100; n < Math.Min(events, b * 100 + 100); n++)
            {
                if (n > b * 100) sb.Append(',');
                sb.Append(CultureInfo.InvariantCulture, $$"""{"actor_id":"distinct_{{n}}","action":"{{actions[n % actions.Length]}}","ip_address":"{{PublicAddress(n)}}","occurred_at":"{{start.AddMilliseconds(n * 100L):yyyy-MM-ddTHH:mm:ss.fffZ}}"}""");
            }
            sb.Append("]}");
            await PostAsync(http, "/api/v1/events/batch", sb.ToString());
        });
        var ingested = clock.Elapsed;
        var settled = await SettleAsync(database, TimeSpan.FromMinutes(15));
        var (baseline, peak) = rss.Stop();
        var after = RssSampler.ReadMb(pid);
        var alerts = await GetAsync(http, "/api/v1/alerts?limit=1");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule memory: {events} events of distinct actors and addresses through 5 rules, ingested in {ingested.TotalSeconds:F0} s, detection settled after {clock.Elapsed.TotalSeconds:F0} s ({(settled ? "caught up" : "NOT caught up")}); " +
            $"alerts: {alerts["pagination"]?["total"]?.ToJsonString() ?? "?"}; app RSS {baseline:F0} MB → peak {peak:F0} MB during, {after:F0} MB after (must stay < 400)"));
        BenchResults.Record(results, "hardening.rules.rss_peak_mb", peak);
        BenchResults.Record(results, "hardening.rules.rss_after_mb", after);
        return settled && peak < 400 && after < 400 ? 0 : 1;
    }

    /// <summary>After a restart on the same data: one more event makes the host load the workspace and evaluate it.</summary>
    public static async Task<int> ReloadAsync(HttpClient http, int pid, string database, string results)
    {
        using var rss = RssSampler.Start(pid);
        await PostAsync(http, "/api/v1/events", """{"actor_id":"distinct_0","action":"auth.login","ip_address":"81.2.69.160"}""");
        var settled = await SettleAsync(database, TimeSpan.FromMinutes(5));
        await Task.Delay(1000);
        var (baseline, peak) = rss.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule memory after a restart: loading the workspace and evaluating one more event ({(settled ? "caught up" : "NOT caught up")}): app RSS {baseline:F0} MB → peak {peak:F0} MB (must stay < 400)"));
        BenchResults.Record(results, "hardening.rules.rss_restart_peak_mb", peak);
        return settled && peak < 400 ? 0 : 1;
    }

    /// <summary>A public IPv4 address per n, spread over 1.0.0.0–126.255.255.255 outside the special ranges.</summary>
    private static string PublicAddress(int n)
    {
        var v = (uint)n * 2654435761u;
        var a = 1 + (int)(v >> 24) % 126;
        if (a is 10 or 100 or 127) a = 11;
        return string.Create(CultureInfo.InvariantCulture, $"{a}.{(v >> 16) & 255}.{(v >> 8) & 255}.{1 + (v & 255) % 254}");
    }

    /// <summary>Waits until stream detection has evaluated every stored event (its checkpoint reached the newest sequence).</summary>
    private static async Task<bool> SettleAsync(string database, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            await using (var db = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False"))
            {
                await db.OpenAsync();
                await using var cmd = db.CreateCommand();
                cmd.CommandText = """
                    SELECT COUNT(*) FROM workspaces w
                    WHERE COALESCE((SELECT MAX(sequence) FROM events e WHERE e.workspace_id = w.id), 0)
                        > COALESCE((SELECT last_sequence FROM detection_checkpoints c WHERE c.workspace_id = w.id), 0)
                    """;
                if ((long)(await cmd.ExecuteScalarAsync())! == 0) return true;
            }
            await Task.Delay(500);
        }
        return false;
    }

    private static async Task<JsonNode> PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>VmRSS of a process, sampled every 50 ms on a background thread: the first sample and the largest.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly int _pid;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private double _peak;

        private RssSampler(int pid)
        {
            _pid = pid;
            Baseline = ReadMb(pid);
            _peak = Baseline;
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    _peak = Math.Max(_peak, ReadMb(_pid));
                    try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
                }
            });
        }

        public double Baseline { get; }

        public static RssSampler Start(int pid) => new(pid);

        public (double Baseline, double Peak) Stop()
        {
            _stop.Cancel();
            _loop.Wait();
            return (Baseline, Math.Max(_peak, ReadMb(_pid)));
        }

        public static double ReadMb(int pid)
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            return 0;
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested) Stop();
            _stop.Dispose();
        }
    }

    /// <summary>A raw-socket HTTP peer answering every request 200 with a 200 MiB body, written until the client drops it.</summary>
    private sealed class HugeBodyPeer : IDisposable
    {
        private const long BodySize = 200L * 1024 * 1024;
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private long _bytesWritten;

        public HugeBodyPeer(int port)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
        public long BytesWritten => Interlocked.Read(ref _bytesWritten);

        private async Task AcceptAsync()
        {
            try
            {
                while (true) _ = ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            try
            {
                var buffer = new byte[16 * 1024];
                var seen = "";
                while (!seen.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    seen += Encoding.Latin1.GetString(buffer, 0, n);
                }
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {BodySize}\r\n\r\n"), _stop.Token);
                var chunk = Encoding.ASCII.GetBytes(new string('y', 64 * 1024));
                for (long sent = 0; sent < BodySize; sent += chunk.Length)
                {
                    await stream.WriteAsync(chunk, _stop.Token);
                    Interlocked.Add(ref _bytesWritten, chunk.Length);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
