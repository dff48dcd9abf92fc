using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Immutable.Tests.TestSupport;

public static class DetectionKit
{
    public const string NewYorkIp = "66.108.0.1";     // Brooklyn, US (GeoLite2)
    public const string BucharestIp = "5.2.128.1";    // Bucharest, RO
    public const string SydneyIp = "203.2.218.214";   // Sydney, AU (North Bondi in the 2019 data)

    public static async Task<string> CreateRuleAsync(this HttpClient client, string json)
    {
        var response = await client.PostJsonAsync("/api/v1/alert-rules", json);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"rule not created: {(int)response.StatusCode} {body.ToJsonString()}");
        return body["data"]!["id"]!.GetValue<string>();
    }

    /// <summary>Polls the alerts API until at least <paramref name="count"/> alerts match, or fails after the timeout.</summary>
    public static async Task<JsonArray> WaitForAlertsAsync(this HttpClient client, string query, int count, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        JsonArray data;
        do
        {
            data = (await client.GetJsonAsync("/api/v1/alerts?limit=100&" + query))["data"]!.AsArray();
            if (data.Count >= count) return data;
            await Task.Delay(50);
        }
        while (clock.ElapsedMilliseconds < timeoutMs);
        Assert.Fail($"expected {count} alert(s) for '{query}' within {timeoutMs} ms, found {data.Count}: {data.ToJsonString()}");
        return data;
    }

    /// <summary>Waits until stream detection has processed every stored event of the workspace (nothing pending).</summary>
    public static async Task SettleAsync(this HttpClient client, ImmutableAppFactory app, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < timeoutMs)
        {
            using var db = app.OpenStore();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                SELECT COUNT(*) FROM workspaces w
                WHERE COALESCE((SELECT MAX(sequence) FROM events e WHERE e.workspace_id = w.id), 0)
                    > COALESCE((SELECT last_sequence FROM detection_checkpoints c WHERE c.workspace_id = w.id), 0)
                """;
            if ((long)cmd.ExecuteScalar()! == 0) return;
            await Task.Delay(50);
        }
        Assert.Fail("stream detection did not catch up");
    }

    /// <summary>Polls GET <paramref name="url"/> until <paramref name="field"/> of its data is not null.</summary>
    public static async Task<JsonNode> WaitForFieldAsync(this HttpClient client, string url, string field, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        JsonNode data;
        do
        {
            data = (await client.GetJsonAsync(url))["data"]!;
            if (data[field] is not null) return data;
            await Task.Delay(25);
        }
        while (clock.ElapsedMilliseconds < timeoutMs);
        Assert.Fail($"{field} stayed null: {data.ToJsonString()}");
        return data;
    }

    /// <summary>
    /// Posts <paramref name="count"/> <c>query.executed</c> events of <paramref name="user"/>, the first at
    /// <paramref name="start"/> and each <paramref name="every"/> after the one before, in batches of 100.
    /// </summary>
    public static async Task QueriesAsync(this HttpClient client, string user, int count, DateTime start, TimeSpan every, object metadata)
    {
        for (var sent = 0; sent < count; sent += 100)
        {
            var events = Enumerable.Range(sent, Math.Min(100, count - sent)).Select(i => new
            {
                actor_id = user, action = "query.executed", occurred_at = Iso(start + i * every), metadata,
            });
            var response = await client.PostJsonAsync("/api/v1/events/batch", new { events });
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, (await response.ReadJsonAsync()).ToJsonString());
        }
    }

    public static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
