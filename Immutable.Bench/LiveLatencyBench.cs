using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Immutable.Bench;

/// <summary>
/// Alert latency under load: while background single-event ingest runs at <c>rate</c> events/s (open loop, so a
/// slow server cannot slow the load down), alerting events are posted one at a time; for each, the time from its
/// 202 to the alert reaching (a) a SignalR client of /hubs/alerts and (b) a webhook receiver on 127.0.0.1.
/// The app must allow 127.0.0.1 as a webhook host (Webhooks__AllowedPrivateHosts__0=127.0.0.1).
/// With <c>hubUrl</c> (another instance of a cluster) the SignalR client connects there while events go to
/// <c>url</c>: the alert crosses instances (the peer-event link and the Redis backplane) before it reaches the client.
/// </summary>
internal static class LiveLatencyBench
{
    public static async Task<int> RunAsync(HttpClient http, string url, string key, int alerts, double rate, int receiverPort, string? results, string? hubUrl = null)
    {
        var signalR = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var webhook = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext c) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            using var body = await JsonDocument.ParseAsync(c.Request.Body);
            if (body.RootElement.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("actor_id", out var actor))
                webhook.TryAdd(actor.GetString()!, arrived);
            return Results.NoContent();
        });
        await receiver.StartAsync();

        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(new Uri(string.IsNullOrEmpty(hubUrl) ? url : hubUrl), "/hubs/alerts"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(key))
            .Build();
        hub.On<JsonElement>("AlertRaised", alert =>
        {
            var arrived = Stopwatch.GetTimestamp();
            if (alert.TryGetProperty("actor_id", out var actor)) signalR.TryAdd(actor.GetString()!, arrived);
        });
        await hub.StartAsync();

        await PostAsync(http, "/api/v1/webhook-endpoints", $$"""{"url":"http://127.0.0.1:{{receiverPort}}/hook","record_types":["alerts"]}""");
        await PostAsync(http, "/api/v1/alert-rules", """{"name":"bench: every live.login","rule_type":"off_hours","cooldown_minutes":0,"channels":["webhook"],"conditions":{"action_pattern":"live.login","timezone":"UTC","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""");

        using var stopLoad = new CancellationTokenSource();
        var load = BackgroundLoadAsync(http, rate, stopLoad.Token);
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the load reach its rate

        var run = Guid.NewGuid().ToString("N")[..6];
        var accepted = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < alerts; i++)
        {
            var actor = $"live_{run}_{i}";
            using var response = await http.PostAsync("/api/v1/events", Json($$"""{"actor_id":"{{actor}}","action":"live.login"}"""));
            accepted[actor] = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
            await Task.Delay(50); // 20 alerts/s: the latency of the path, not of a backlog of our own making
        }
        var deadline = Stopwatch.StartNew();
        while ((signalR.Count < alerts || webhook.Count < alerts) && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        await stopLoad.CancelAsync();
        var (sent, failed) = await load;

        var ok = Report("signalr", "SignalR client", signalR) & Report("webhook", "webhook receiver", webhook);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  background load: target {rate:F0} events/s, {sent} sent, {failed} not accepted"));
        BenchResults.Record(results, "alert.background_rate", rate);
        return ok && failed == 0 ? 0 : 1;

        bool Report(string name, string label, ConcurrentDictionary<string, long> arrivals)
        {
            var latencies = accepted
                .Where(a => arrivals.ContainsKey(a.Key))
                .Select(a => Math.Max(0, Stopwatch.GetElapsedTime(a.Value, arrivals[a.Key]).TotalMilliseconds))
                .Order().ToList();
            var (p50, p99) = (BenchResults.Percentile(latencies, 50), BenchResults.Percentile(latencies, 99));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"alert latency under load, 202 → {label}: p50 {p50:F1} ms, p99 {p99:F1} ms ({latencies.Count}/{alerts} arrived)"));
            BenchResults.Record(results, $"alert.{name}.p50_ms", p50);
            BenchResults.Record(results, $"alert.{name}.p99_ms", p99);
            return latencies.Count == alerts;
        }
    }

    /// <summary>Open-loop single-event ingest at <paramref name="rate"/> events/s until cancelled; at most 256 in flight.</summary>
    private static async Task<(int Sent, int Failed)> BackgroundLoadAsync(HttpClient http, double rate, CancellationToken stop)
    {
        var sent = 0;
        var failed = 0;
        using var inFlight = new SemaphoreSlim(256);
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var due = (int)(clock.Elapsed.TotalSeconds * rate);
            while (sent < due && !stop.IsCancellationRequested)
            {
                if (!await inFlight.WaitAsync(0, CancellationToken.None)) break; // saturated: the server is behind
                var n = sent++;
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var response = await http.PostAsync("/api/v1/events", Json(Payloads.Single(n)));
                        if (response.StatusCode != HttpStatusCode.Accepted) Interlocked.Increment(ref failed);
                    }
                    catch (HttpRequestException) { Interlocked.Increment(ref failed); }
                    finally { inFlight.Release(); }
                }, CancellationToken.None));
            }
            pending.RemoveAll(t => t.IsCompleted);
            try { await Task.Delay(5, stop); } catch (OperationCanceledException) { break; }
        }
        await Task.WhenAll(pending);
        return (sent, failed);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, Json(json));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
