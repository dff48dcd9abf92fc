using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Immutable.Bench;

internal static class StreamBench
{
    /// <summary>
    /// Single-event ingest with one webhook log stream on (a receiver on 127.0.0.1 that answers 204), and how long the
    /// stream takes to deliver every event after the last 202. The stream is deleted afterwards, so later steps run
    /// without it. The app must allow 127.0.0.1 (Webhooks__AllowedPrivateHosts__0=127.0.0.1).
    /// </summary>
    public static async Task<int> RunAsync(HttpClient http, int requests, int concurrency, int receiverPort, string results)
    {
        var received = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        await using var receiver = builder.Build();
        // The receiver stands for another system (a SIEM), which would not share the app's cores: it counts the events
        // in each body by their envelope, without parsing a document, so that it takes as little as possible from them.
        var marker = "\"event_type\":\"event.created\""u8.ToArray();
        receiver.MapPost("/stream", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            var span = body.GetBuffer().AsSpan(0, (int)body.Length);
            var count = 0;
            for (int at; (at = span.IndexOf(marker)) >= 0; span = span[(at + marker.Length)..]) count++;
            Interlocked.Add(ref received, count);
            return Results.NoContent();
        });
        await receiver.StartAsync();

        var created = await http.PostAsync("/api/v1/log-streams", new StringContent(
            $$"""{"type":"webhook","url":"http://127.0.0.1:{{receiverPort}}/stream"}""", Encoding.UTF8, "application/json"));
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"log stream: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var streamId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<string>();

        // Load.RunAsync sends a warm-up of min(concurrency, 16) requests first: those events are streamed too.
        var expected = requests + Math.Min(concurrency, 16);
        var result = await Load.RunAsync(http, requests, concurrency, i => ("/api/v1/events", Payloads.Single(i)));
        var drain = Stopwatch.StartNew();
        while (Volatile.Read(ref received) < expected - result.Failures && drain.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(20);
        var drained = drain.Elapsed.TotalMilliseconds;
        var delivered = Volatile.Read(ref received);
        await http.DeleteAsync($"/api/v1/log-streams/{streamId}");
        await receiver.StopAsync();

        Console.WriteLine(result.Describe($"single-event ingest with one webhook log stream on, {requests} requests, {concurrency} connections", eventsPerRequest: 1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"log stream: {delivered}/{expected - result.Failures} events at the receiver, the last {drained:F0} ms after the last 202"));
        BenchResults.Record(results, $"stream.c{concurrency}.events_per_s", result.RequestsPerSecond);
        BenchResults.Record(results, $"stream.c{concurrency}.p99_ms", result.Percentile(99));
        BenchResults.Record(results, "stream.drain_ms", drained);
        return result.Failures == 0 && delivered >= expected ? 0 : 1;
    }
}
