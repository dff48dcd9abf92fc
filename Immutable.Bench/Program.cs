using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Immutable.Bench;

// Usage (./bench.sh runs the whole suite; each mode appends its figures to --results FILE when given):
//   Immutable.Bench single --url URL --key KEY [--requests 10000] [--concurrency 32] [--path /api/v1/events]
//   Immutable.Bench noop-server --port P          (the no-op POST ceiling's server; `single --path /noop` loads it)
//   Immutable.Bench raw-sqlite [--rows 100000] [--batch 100]
//   Immutable.Bench raw-postgres --connection CS [--rows 100000] [--batch 100]   (multi-row INSERT into the app's schema on PostgreSQL)
//   Immutable.Bench report-postgres --results FILE --out docs/benchmarks.md   (rewrites only the PostgreSQL section)
//   Immutable.Bench seed --data DIR [--events 1000000] [--alerts 20000]   (workspace "history", app stopped)
//   Immutable.Bench queries --url URL --key KEY [--requests 500]
//   Immutable.Bench live-latency --url URL --key KEY [--alerts 300] [--rate 500] [--receiver-port 5096] [--hub-url URL2]
//   Immutable.Bench record NAME VALUE --results FILE
//   Immutable.Bench report --results FILE --out docs/benchmarks.md
//   Immutable.Bench batch  --url URL --key KEY [--batches 100] [--size 100] [--concurrency 4]
//   Immutable.Bench alert-latency --url URL --key KEY [--events 1000]
//   Immutable.Bench detection-throughput [--events 100000]   (in process, no server needed)
//   Immutable.Bench webhooks --url URL --key KEY [--alerts 2000] [--receiver-port 5097]   (app must allow 127.0.0.1)
//   Immutable.Bench hostile-webhooks|verify-memory|rule-memory|rule-memory-reload --url URL --key KEY --pid APP_PID ...
//                                    (scripts/measure-hardening.sh: the app's RSS under hostile peers, verifies, distinct actors)
//   Immutable.Bench monitor-eval [--events 1000000] [--users 1000] [--per-pass 250000] [--increment 10000]
//                                    (in process: the product beside the SQL window-function ceiling, incremental passes, 10 monitors)
//   Immutable.Bench raw-select --db FILE [--workspace history]      (the export's ceiling: every row to a file)
//   Immutable.Bench export --url URL --key KEY --pid APP_PID [--format csv|ndjson]
//   Immutable.Bench archive --url URL --key KEY --ingest-key KEY2 [--rate 500]   (retention of "history", ingest into KEY2's workspace)
//   Immutable.Bench integrity-verify --url URL --key KEY [--events 1000000]   (GET /verify beside the SHA-256 ceiling)
//   Immutable.Bench stream-ingest --url URL --key KEY [--requests 10000] [--concurrency 64] [--receiver-port 5098]
//                                    (single-event ingest with one webhook log stream on; app must allow 127.0.0.1)
var options = Args.Parse(args.Skip(1).ToArray());
var mode = args.FirstOrDefault() ?? "";
var url = options.Get("url", "http://127.0.0.1:5080");
var key = options.Get("key", Environment.GetEnvironmentVariable("IMMUTABLE_KEY") ?? "");
var results = options.Get("results", "");

// --url A,B (single and batch): the connections are spread over several app instances, round robin.
var clients = url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u =>
{
    var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = new Uri(u),
        // Whole-chain verifications of 600 000 events on a busy 2-core machine can take minutes.
        Timeout = mode is "verify-memory" or "integrity-verify" or "archive" or "export" ? TimeSpan.FromMinutes(15) : TimeSpan.FromSeconds(60),
    };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return client;
}).ToArray();
using var http = clients[0];

switch (mode)
{
    case "single":
    {
        var requests = options.GetInt("requests", 10_000);
        var concurrency = options.GetInt("concurrency", 32);
        var path = options.Get("path", "/api/v1/events");
        var noOp = path == "/noop";
        var result = await Load.RunAsync(clients, requests, concurrency, i => (path, Payloads.Single(i)));
        Console.WriteLine(result.Describe($"{(noOp ? "ceiling, no-op POST" : "single-event ingest")}, {requests} requests, {concurrency} connections", eventsPerRequest: 1));
        var name = options.Get("record-as", "") is { Length: > 0 } recordAs ? recordAs
            : noOp ? $"ceiling.noop.c{concurrency}.requests_per_s" : $"single.c{concurrency}.events_per_s";
        BenchResults.Record(results, name, result.RequestsPerSecond);
        if (!noOp && options.Get("record-as", "").Length == 0)
        {
            BenchResults.Record(results, $"single.c{concurrency}.p50_ms", result.Percentile(50));
            BenchResults.Record(results, $"single.c{concurrency}.p99_ms", result.Percentile(99));
        }
        return result.Failures == 0 ? 0 : 1;
    }
    case "batch":
    {
        var batches = options.GetInt("batches", 100);
        var size = options.GetInt("size", 100);
        var concurrency = options.GetInt("concurrency", 4);
        var result = await Load.RunAsync(clients, batches, concurrency, i => ("/api/v1/events/batch", Payloads.Batch(i, size)));
        Console.WriteLine(result.Describe($"batch ingest, {batches} batches of {size}, {concurrency} connections", eventsPerRequest: size));
        BenchResults.Record(results, "batch.events_per_s", result.RequestsPerSecond * size);
        return result.Failures == 0 ? 0 : 1;
    }
    case "integrity-verify":
        return await IntegrityBench.VerifyAsync(http, options.GetInt("events", 1_000_000), results);
    case "detection-throughput":
        return await DetectionBench.ThroughputAsync(options.GetInt("events", 100_000));
    case "monitor-eval":
        return await MonitorBench.RunAsync(options.GetInt("events", 1_000_000), options.GetInt("users", 1000), options.GetInt("per-pass", 250_000), options.GetInt("increment", 10_000), results,
            options.Get("data", "") is { Length: > 0 } data ? data : null);
    case "stream-ingest":
        return await StreamBench.RunAsync(http, options.GetInt("requests", 10_000), options.GetInt("concurrency", 64), options.GetInt("receiver-port", 5098), results);
    case "webhooks":
        return await WebhookBench.RunAsync(http, options.GetInt("alerts", 2000), options.GetInt("receiver-port", 5097));
    case "alert-latency":
        return await DetectionBench.LatencyAsync(http, options.GetInt("events", 1000));
    case "noop-server":
        return await Ceilings.ServeNoOpAsync(options.GetInt("port", 5095));
    case "raw-sqlite":
        return await Ceilings.RawSqliteAsync(options.GetInt("rows", 100_000), options.GetInt("batch", 100), results);
    case "raw-postgres":
        return await Ceilings.RawPostgresAsync(options.Get("connection", ""), options.GetInt("rows", 100_000), options.GetInt("batch", 100), results);
    case "report-postgres":
        return Report.WritePostgres(options.Get("results", ""), options.Get("out", "docs/benchmarks.md"), options.Get("command", "./bench.sh --postgres"), options.Get("scale", ""));
    case "seed":
        return await QueryBench.SeedAsync(options.Get("data", ""), options.GetInt("events", 1_000_000), options.GetInt("alerts", 20_000));
    case "queries":
        return await QueryBench.RunAsync(http, options.GetInt("requests", 500), results);
    case "live-latency":
        return await LiveLatencyBench.RunAsync(http, url, key, options.GetInt("alerts", 300), options.GetInt("rate", 500), options.GetInt("receiver-port", 5096), results, options.Get("hub-url", ""));
    case "hostile-webhooks":
        return await HardeningBench.HostileWebhooksAsync(http, options.GetInt("pid", 0), options.GetInt("peers", 4), options.GetInt("peer-port", 5120), results);
    case "verify-memory":
        return await HardeningBench.VerifyAsync(http, options.GetInt("pid", 0), options.GetInt("concurrency", 4), options.GetInt("events", 600_000), results);
    case "rule-memory":
        return await HardeningBench.RuleMemoryAsync(http, options.GetInt("pid", 0), options.GetInt("events", 600_000), options.Get("db", ""), results);
    case "rule-memory-reload":
        return await HardeningBench.ReloadAsync(http, options.GetInt("pid", 0), options.Get("db", ""), results);
    case "raw-select":
        return await ExportBench.RawSelectAsync(options.Get("db", ""), options.Get("workspace", QueryBench.Workspace), results);
    case "export":
        return await ExportBench.ExportAsync(http, options.GetInt("pid", 0), options.Get("format", "csv"), results);
    case "archive":
        return await ExportBench.ArchiveAsync(http, url, options.Get("ingest-key", ""), options.GetInt("rate", 500), results);
    case "record":
        BenchResults.Record(results, args[1], double.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    case "report":
        return Report.Write(results, options.Get("out", "docs/benchmarks.md"), options.Get("command", "./bench.sh"), options.Get("scale", "full"));
    default:
        Console.Error.WriteLine("usage: Immutable.Bench single|batch|alert-latency --url URL --key KEY [options] | detection-throughput [--events N]");
        return 2;
}

namespace Immutable.Bench
{
    internal static class Payloads
    {
        public static string Single(int i) => string.Create(CultureInfo.InvariantCulture,
            $$$"""{"actor_id":"user_{{{i % 500}}}","actor_name":"Bench User {{{i % 500}}}","action":"document.viewed","resource":"document","resource_id":"doc_{{{i % 5000}}}","session_id":"sess_{{{i % 2000}}}","ip_address":"81.2.69.{{{i % 250}}}","metadata":{"source":"bench","n":{{{i}}}}}""");

        public static string Batch(int b, int size)
        {
            var sb = new StringBuilder("{\"events\":[");
            for (var j = 0; j < size; j++)
            {
                if (j > 0) sb.Append(',');
                sb.Append(Single(b * size + j));
            }
            return sb.Append("]}").ToString();
        }
    }

    internal sealed record LoadResult(int Requests, int Failures, TimeSpan Elapsed, double[] LatenciesMs)
    {
        public double Percentile(double p)
        {
            if (LatenciesMs.Length == 0) return double.NaN;
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        }

        public double RequestsPerSecond => (Requests - Failures) / Elapsed.TotalSeconds;

        public string Describe(string what, int eventsPerRequest) => string.Create(CultureInfo.InvariantCulture,
            $"{what}: {(Requests - Failures) * eventsPerRequest / Elapsed.TotalSeconds:F0} events/s, {(Requests - Failures) / Elapsed.TotalSeconds:F0} requests/s, p50 {Percentile(50):F2} ms, p99 {Percentile(99):F2} ms, failures {Failures}, elapsed {Elapsed.TotalSeconds:F2} s");
    }

    internal static class Load
    {
        /// <summary>Closed loop: <paramref name="concurrency"/> workers, each sending its next request when the last returns.</summary>
        public static Task<LoadResult> RunAsync(HttpClient http, int requests, int concurrency, Func<int, (string Path, string Body)> next) =>
            RunAsync([http], requests, concurrency, next);

        /// <summary>The same, worker <c>w</c> sending to <c>clients[w % n]</c> (several app instances).</summary>
        public static async Task<LoadResult> RunAsync(IReadOnlyList<HttpClient> clients, int requests, int concurrency, Func<int, (string Path, string Body)> next)
        {
            // Warm-up: connections, JIT, first-use paths.
            for (var i = 0; i < Math.Min(concurrency, 16); i++)
            {
                var (path, body) = next(1_000_000 + i);
                using var _ = await clients[i % clients.Count].PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            }
            var latencies = new double[requests];
            var failures = 0;
            var counter = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
            {
                var http = clients[worker % clients.Count];
                int i;
                while ((i = Interlocked.Increment(ref counter)) < requests)
                {
                    var (path, body) = next(i);
                    var started = Stopwatch.GetTimestamp();
                    using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.StatusCode != HttpStatusCode.Accepted) Interlocked.Increment(ref failures);
                }
            }));
            return new LoadResult(requests, failures, clock.Elapsed, latencies);
        }
    }

    internal sealed class Args(Dictionary<string, string> values)
    {
        public static Args Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i++)
                if (args[i].StartsWith("--", StringComparison.Ordinal)) values[args[i][2..]] = args[++i];
            // "record NAME VALUE --results F": positional words before the options are read by the mode itself.
            return new Args(values);
        }

        public string Get(string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;

        public int GetInt(string name, int fallback) =>
            values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }
}
