using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Immutable.Tests.Hardening;

/// <summary>
/// The guard checks again when connecting: a URL accepted at save time (the allow-list then allowed it, or DNS then
/// answered otherwise) is not delivered once its address is refused. The host restarts over the same data folder
/// with a different allow-list, as an operator's change would.
/// </summary>
public sealed class WebhookConnectTimeTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-ssrf-").FullName;

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private ImmutableAppFactory Host(params string[] allowed)
    {
        // The default delivery timeout: a refused address fails before any connection, so no test here waits on it,
        // and a loaded machine's slow answer to the allowed ping must not turn it into a retry.
        var host = new ImmutableAppFactory(_data);
        for (var i = 0; i < allowed.Length; i++) host.With($"Webhooks:AllowedPrivateHosts:{i}", allowed[i]);
        return host;
    }

    private static HttpClient Client(ImmutableAppFactory host, string key)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    private static async Task<JsonNode> WaitForLatestDeliveryAsync(HttpClient client, string endpointId, string status)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonNode? latest = null;
        while (clock.ElapsedMilliseconds < 30_000)
        {
            latest = (await client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]!.AsArray().FirstOrDefault();
            if (latest?["status"]?.GetValue<string>() == status) return latest;
            await Task.Delay(50);
        }
        Assert.Fail($"no delivery of {endpointId} reached {status}: {latest?.ToJsonString()}");
        return null!;
    }

    [Fact]
    public async Task HostNameResolvingToLoopback_DeliveredWhileAllowed_IsBlockedAtConnectOnceNotAllowed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var url = receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        string key, id;
        using (var allowed = Host("localhost"))
        {
            key = (await allowed.CreateKeyAsync("acme")).Key;
            var client = Client(allowed, key);
            var created = await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();
            await client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
            await receiver.WaitForAsync(1);
            await WaitForLatestDeliveryAsync(client, id, "delivered");
        }

        using (var refused = Host())
        {
            var client = Client(refused, key);
            await client.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
            var latest = await WaitForLatestDeliveryAsync(client, id, "dead");
            Assert.Contains("blocked", latest["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("loopback", latest["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
            await Task.Delay(300);
            Assert.Single(receiver.Requests); // the second ping never left
        }
    }

    [Fact]
    public async Task Ipv4EmbeddingAddresses_SavedWhileAllowed_AreBlockedAtConnect_WithoutAConnection()
    {
        // Forms the guard refuses since this change; saved while the operator allowed them.
        string[] networks = ["::ffff:0:0:0/96", "64:ff9b::/96", "2002::/16", "198.18.0.0/15"];
        string[] urls = ["http://[::ffff:0:7f00:1]:9/hook", "http://[64:ff9b::7f00:1]:9/hook", "http://[2002:7f00:1::1]:9/hook", "http://198.18.0.1:9/hook"];
        string key;
        var ids = new List<string>();
        using (var allowed = Host(networks))
        {
            key = (await allowed.CreateKeyAsync("acme")).Key;
            var client = Client(allowed, key);
            foreach (var url in urls)
            {
                var created = await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url });
                Assert.True(created.StatusCode == HttpStatusCode.Created, url);
                ids.Add((await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>());
            }
        }

        using var refused = Host();
        var refusedClient = Client(refused, key);
        foreach (var id in ids) await refusedClient.PostAsync($"/api/v1/webhook-endpoints/{id}/test", null);
        foreach (var id in ids)
        {
            // Dead at the first attempt with the guard's reason, not retried as an unreachable network would be.
            var latest = await WaitForLatestDeliveryAsync(refusedClient, id, "dead");
            Assert.Equal(1, latest["attempts"]!.GetValue<int>());
            Assert.StartsWith("blocked: ", latest["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }
}
