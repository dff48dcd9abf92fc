using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Immutable.Domain.Chain;
using Immutable.Web.Integrity;

namespace Immutable.Bench;

/// <summary>
/// Verification speed over the seeded workspace beside the machine's SHA-256 ceiling, measured in the same run:
/// the ceiling hashes as many messages as there are events, each as long as an average stored event's canonical text,
/// on one core (a verification is one sequential pass).
/// </summary>
internal static class IntegrityBench
{
    public static async Task<int> VerifyAsync(HttpClient http, int events, string results)
    {
        // The average canonical text of stored events, rebuilt from the API's JSON exactly as an offline verifier would.
        using var sample = JsonDocument.Parse(await http.GetStringAsync("/api/v1/events?limit=100"));
        var texts = sample.RootElement.GetProperty("data").EnumerateArray()
            .Select(e => EventHashing.CanonicalText(EventJsonReader.ToDomain(e, "history"))).ToList();
        var length = (int)texts.Average(t => Encoding.UTF8.GetByteCount(t));

        var message = new byte[length];
        RandomNumberGenerator.Fill(message);
        Span<byte> digest = stackalloc byte[32];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            message[i % length] ^= (byte)i;
            SHA256.HashData(message, digest);
        }
        var ceiling = events / clock.Elapsed.TotalSeconds;

        clock.Restart();
        using var response = await http.GetAsync($"/api/v1/verify?limit={events}");
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = clock.Elapsed;
        using var doc = JsonDocument.Parse(body);
        var data = doc.RootElement.GetProperty("data");
        var checkedEvents = data.GetProperty("events_checked").GetInt32();
        var valid = data.GetProperty("valid").GetBoolean();
        var rate = checkedEvents / elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: {checkedEvents} events in {elapsed.TotalSeconds:F1} s = {rate:F0} events/s (valid {valid}, {data.GetProperty("checkpoints_checked").GetInt32()} checkpoints, {data.GetProperty("anchors_checked").GetInt32()} anchors); SHA-256 ceiling over {length}-byte messages: {ceiling:F0} /s"));
        BenchResults.Record(results, "integrity.verify.events_per_s", rate);
        BenchResults.Record(results, "integrity.verify.events", checkedEvents);
        BenchResults.Record(results, "ceiling.sha256.messages_per_s", ceiling);
        BenchResults.Record(results, "integrity.canonical_bytes", length);
        return response.IsSuccessStatusCode && valid ? 0 : 1;
    }
}
