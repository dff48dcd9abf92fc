using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Immutable.Bench;

internal static class WebhookBench
{
    /// <summary>
    /// Delivered webhooks per second and the latency from alert creation (its triggered_at) to the receiver getting
    /// the POST: a rule that alerts on every event posts <paramref name="alerts"/> alerts to a receiver on 127.0.0.1.
    /// The app must allow 127.0.0.1 (Webhooks__AllowedPrivateHosts__0=127.0.0.1).
    /// </summary>
    public static async Task<int> RunAsync(HttpClient http, int alerts, int receiverPort)
    {
        var arrivals = new ConcurrentQueue<(DateTime At, string Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            arrivals.Enqueue((TimeProvider.System.GetUtcNow().UtcDateTime, body));
            return Results.NoContent();
        });
        await receiver.StartAsync();

        async Task Post(string path, string json)
        {
            var r = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        await Post("/api/v1/webhook-endpoints", $$"""{"url":"http://127.0.0.1:{{receiverPort}}/hook","record_types":["alerts"]}""");
        await Post("/api/v1/alert-rules", """{"name":"bench: every event","rule_type":"off_hours","cooldown_minutes":0,"channels":["webhook"],"conditions":{"action_pattern":"bench.webhook","timezone":"UTC","start_hour":0,"end_hour":0,"days":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}}""");

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < alerts; i += 100)
        {
            var events = string.Join(",", Enumerable.Range(i, Math.Min(100, alerts - i)).Select(n => $$"""{"actor_id":"wh_{{n}}","action":"bench.webhook"}"""));
            await Post("/api/v1/events/batch", $$"""{"events":[{{events}}]}""");
        }
        while (arrivals.Count < alerts && clock.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(20);
        var received = arrivals.ToList();
        var latencies = received.Select(a => (a.At - DateTime.Parse(JsonNode.Parse(a.Body)!["triggered_at"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)).TotalMilliseconds).Order().ToList();
        double P(double p) => latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Count) - 1, 0, latencies.Count - 1)];
        var span = (received.Max(a => a.At) - received.Min(a => a.At)).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhooks, burst of {alerts} alerts: {received.Count}/{alerts} delivered, {received.Count / Math.Max(span, 0.001):F0} deliveries/s at the receiver, alert creation → POST received (queueing included): p50 {P(50):F1} ms, p99 {P(99):F1} ms"));

        // Paced: 50 alerts/s, one event per request, so the latency is the path's, not a backlog's.
        var burstCount = received.Count;
        arrivals.Clear();
        const int paced = 300;
        for (var n = 0; n < paced; n++)
        {
            await Post("/api/v1/events", $$"""{"actor_id":"wh_paced_{{n}}","action":"bench.webhook"}""");
            await Task.Delay(20);
        }
        while (arrivals.Count < paced && clock.Elapsed < TimeSpan.FromSeconds(240)) await Task.Delay(20);
        var pacedLatencies = arrivals.Select(a => (a.At - DateTime.Parse(JsonNode.Parse(a.Body)!["triggered_at"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)).TotalMilliseconds).Order().ToList();
        double Q(double p) => pacedLatencies[Math.Clamp((int)Math.Ceiling(p / 100 * pacedLatencies.Count) - 1, 0, pacedLatencies.Count - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhooks at 50 alerts/s: {pacedLatencies.Count}/{paced} delivered, alert creation → POST received: p50 {Q(50):F1} ms, p99 {Q(99):F1} ms"));
        await receiver.StopAsync();
        return burstCount == alerts && pacedLatencies.Count == paced ? 0 : 1;
    }
}
