using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Immutable.Bench;

/// <summary>
/// Exports and archives over the seeded store (workspace "history"): an export's rows/s and the app's peak memory
/// beside a raw SELECT of the same rows to a file in this process (the ceiling), and one day's archive run: its time,
/// its size, and the ingest p99 of another workspace while it runs, beside the same load's p99 just before.
/// </summary>
internal static class ExportBench
{
    /// <summary>The raw ceiling: every column of the workspace's events, in sequence order, written as text lines to a file.</summary>
    public static async Task<int> RawSelectAsync(string database, string workspaceName, string? results)
    {
        var file = Path.GetTempFileName();
        try
        {
            await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT id, sequence, created_at, occurred_at, actor_id, actor_name, actor_type, action, action_category, resource,
                       resource_id, resource_name, targets, metadata, tenant_id, session_id, ip_address, ip_country, ip_city,
                       ip_latitude, ip_longitude, ip_accuracy_radius_km, ip_time_zone, user_agent, idempotency_key, version,
                       previous_event_hash, event_hash
                FROM events WHERE workspace_id = (SELECT id FROM workspaces WHERE name = $name) ORDER BY sequence
                """;
            command.Parameters.AddWithValue("$name", workspaceName);
            var clock = Stopwatch.StartNew();
            long rows = 0;
            await using (var writer = new StreamWriter(file, false, new UTF8Encoding(false), 64 * 1024))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                var values = new object[reader.FieldCount];
                while (await reader.ReadAsync())
                {
                    reader.GetValues(values);
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (i > 0) writer.Write(',');
                        writer.Write(Convert.ToString(values[i], CultureInfo.InvariantCulture));
                    }
                    writer.Write("\r\n");
                    rows++;
                }
            }
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ceiling, raw SELECT to a file: {rows} rows in {seconds:F2} s, {rows / seconds:F0} rows/s, {new FileInfo(file).Length / 1048576.0:F1} MB"));
            BenchResults.Record(results, "export.raw_select.rows_per_s", rows / seconds);
            BenchResults.Record(results, "export.raw_select.rows", rows);
            return 0;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>POST /exports with every event, poll until completed, sample the app's resident memory meanwhile.</summary>
    public static async Task<int> ExportAsync(HttpClient http, int pid, string format, string? results)
    {
        var baseline = Rss(pid);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(pid));
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { break; }
            }
        });
        var clock = Stopwatch.StartNew();
        using var created = await http.PostAsync("/api/v1/exports", new StringContent($$"""{"format":"{{format}}"}""", Encoding.UTF8, "application/json"));
        if (created.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"POST /exports: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        JsonNode data;
        while (true)
        {
            data = JsonNode.Parse(await http.GetStringAsync($"/api/v1/exports/{id}"))!["data"]!;
            if (data["status"]!.GetValue<string>() is "completed" or "failed") break;
            await Task.Delay(200);
        }
        var wall = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        if (data["status"]!.GetValue<string>() != "completed") throw new InvalidOperationException("export failed: " + data["error_message"]);
        var rows = data["total_rows"]!.GetValue<long>();
        var worker = (Parse(data["completed_at"]!) - Parse(data["started_at"]!)).TotalSeconds;
        var sizeMb = data["file_size"]!.GetValue<long>() / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"export ({format}): {rows} rows in {worker:F2} s ({rows / worker:F0} rows/s; {wall:F2} s from POST to completed), {sizeMb:F1} MB, app RSS {baseline:F0} → peak {peak:F0} MB"));
        BenchResults.Record(results, $"export.{format}.rows_per_s", rows / worker);
        BenchResults.Record(results, $"export.{format}.rows", rows);
        BenchResults.Record(results, $"export.{format}.file_mb", sizeMb);
        BenchResults.Record(results, $"export.{format}.rss_before_mb", baseline);
        BenchResults.Record(results, $"export.{format}.rss_peak_mb", peak);
        return 0;
    }

    /// <summary>
    /// Sets retention to one day on the history workspace (seeded two days back) and starts its run, with ingest into the
    /// bench workspace at <paramref name="rate"/> events/s before (the baseline) and during the run.
    /// </summary>
    public static async Task<int> ArchiveAsync(HttpClient history, string url, string ingestKey, double rate, string? results)
    {
        using var ingest = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        ingest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ingestKey);
        using var put = await history.PutAsync("/api/v1/retention", new StringContent("""{"retention_days":1}""", Encoding.UTF8, "application/json"));
        if (!put.IsSuccessStatusCode) throw new InvalidOperationException($"PUT /retention: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");

        var baseline = await PacedLoad.RunAsync(ingest, rate, () => Task.Delay(TimeSpan.FromSeconds(5)));
        var clock = Stopwatch.StartNew();
        JsonNode? state = null;
        var during = await PacedLoad.RunAsync(ingest, rate, async () =>
        {
            using var run = await history.PostAsync("/api/v1/retention/run", null);
            if (run.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"POST /retention/run: {(int)run.StatusCode} {await run.Content.ReadAsStringAsync()}");
            while (true)
            {
                state = JsonNode.Parse(await history.GetStringAsync("/api/v1/retention"))!["data"]!;
                if (state["last_run"] is { } last && !last["running"]!.GetValue<bool>()) return;
                await Task.Delay(200);
            }
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var last = state!["last_run"]!;
        if (last["error"] is { } error && error.GetValueKind() == System.Text.Json.JsonValueKind.String) throw new InvalidOperationException("archive run failed: " + error);
        var archives = JsonNode.Parse(await history.GetStringAsync("/api/v1/archives"))!["data"]!.AsArray();
        var events = last["events_archived"]!.GetValue<long>();
        var sizeMb = archives.Sum(a => a!["size_bytes"]!.GetValue<long>()) / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"archive: {events} events in {archives.Count} archive(s), {seconds:F1} s ({events / seconds:F0} events/s), {sizeMb:F1} MB gzipped; ingest at {rate:F0}/s p99 {during.P99:F1} ms during (p50 {during.P50:F1}), {baseline.P99:F1} ms before; {during.Failed + baseline.Failed} not accepted"));
        BenchResults.Record(results, "archive.seconds", seconds);
        BenchResults.Record(results, "archive.events", events);
        BenchResults.Record(results, "archive.size_mb", sizeMb);
        BenchResults.Record(results, "archive.ingest_rate", rate);
        BenchResults.Record(results, "archive.ingest_during.p99_ms", during.P99);
        BenchResults.Record(results, "archive.ingest_during.p50_ms", during.P50);
        BenchResults.Record(results, "archive.ingest_before.p99_ms", baseline.P99);
        return during.Failed + baseline.Failed == 0 && events > 0 ? 0 : 1;
    }

    private static DateTime Parse(JsonNode iso) => DateTime.Parse(iso.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static double Rss(int pid)
    {
        if (pid <= 0 || !File.Exists($"/proc/{pid}/status")) return double.NaN;
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}

/// <summary>Open-loop single-event ingest at a fixed rate while <c>during</c> runs; every accepted request's latency.</summary>
internal static class PacedLoad
{
    public sealed record Latencies(double P50, double P99, int Sent, int Failed);

    public static async Task<Latencies> RunAsync(HttpClient http, double rate, Func<Task> during)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var failed = 0;
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            using var inFlight = new SemaphoreSlim(256);
            var pending = new List<Task>();
            var clock = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                var due = (int)(clock.Elapsed.TotalSeconds * rate);
                while (sent < due && await inFlight.WaitAsync(0))
                {
                    var n = 2_000_000 + sent++;
                    pending.Add(Task.Run(async () =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            using var response = await http.PostAsync("/api/v1/events", new StringContent(Payloads.Single(n), Encoding.UTF8, "application/json"));
                            if (response.StatusCode == HttpStatusCode.Accepted) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                            else Interlocked.Increment(ref failed);
                        }
                        catch (HttpRequestException) { Interlocked.Increment(ref failed); }
                        finally { inFlight.Release(); }
                    }));
                }
                pending.RemoveAll(t => t.IsCompleted);
                try { await Task.Delay(5, stop.Token); } catch (OperationCanceledException) { break; }
            }
            await Task.WhenAll(pending);
        });
        try { await during(); }
        finally
        {
            await stop.CancelAsync();
            await load;
        }
        var sorted = latencies.Order().ToList();
        return new Latencies(BenchResults.Percentile(sorted, 50), BenchResults.Percentile(sorted, 99), sent, failed);
    }
}
