using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Hardening;

/// <summary>The SSRF guard through the real host: the endpoints API at save time.</summary>
public sealed class SsrfGuardApiTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    public static TheoryData<string> RefusedUrls =>
    [
        "http://[::127.0.0.1]/hook", "http://[::7f00:1]/hook", "http://[::ffff:0:7f00:1]/hook", "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook", "http://[64:ff9b::808:808]/hook", "http://[64:ff9b:1::a00:1]/hook",
        "http://[2002:7f00:1::1]/hook", "http://[2002:808:808::1]/hook", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
        "http://192.0.0.1/hook", "http://198.18.0.1/hook", "http://198.19.255.254/hook",
        "http://192.0.2.1/hook", "http://198.51.100.7/hook", "https://203.0.113.5/hook", "http://[2001:db8::1]/hook",
        "http://224.0.0.1/hook", "http://239.255.255.250/hook", "http://[ff02::1]/hook",
        "http://0.0.0.0/hook", "http://0.1.2.3/hook", "http://240.0.0.1/hook", "http://255.255.255.255/hook",
        "http://127.0.0.1/hook", "http://127.1.2.3/hook", "http://[::1]/hook", "http://[::]/hook", "http://localhost/hook",
        "http://2130706433/hook", // 127.0.0.1 written as one decimal number
        "http://10.0.0.1/hook", "http://172.16.0.1/hook", "http://192.168.1.1/hook", "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/hook", "http://[fc00::1]/hook", "http://[fd12:3456::1]/hook",
        "http://[fec0::1]/hook",
        "http://8.8.8.8:8080/hook", "https://1.1.1.1:22/hook", // public, but not on 80/443 or Webhooks:AllowedPorts
    ];

    private static long StoredEndpoints(ImmutableAppFactory host)
    {
        using var db = host.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM webhook_endpoints";
        return (long)cmd.ExecuteScalar()!;
    }

    [Theory]
    [MemberData(nameof(RefusedUrls))]
    public async Task CreateEndpoint_WithARefusedAddressOrPort_Is422OnUrl_AndStoresNothing(string url)
    {
        var client = await app.CreateWorkspaceClientAsync($"ws{Guid.NewGuid():N}");
        var before = StoredEndpoints(app);
        var response = await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url });
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{url}: {(int)response.StatusCode} {body.ToJsonString()}");
        var violation = Assert.Single(body["violations"]!.AsArray())!;
        Assert.Equal("url", violation["field"]!.GetValue<string>());
        Assert.Equal(before, StoredEndpoints(app));
        Assert.Empty((await client.GetJsonAsync("/api/v1/webhook-endpoints"))["data"]!.AsArray());
    }

    [Fact]
    public async Task UpdateEndpoint_ToARefusedAddressOrPort_Is422OnUrl_AndKeepsTheStoredUrl()
    {
        var client = await app.CreateWorkspaceClientAsync($"ws{Guid.NewGuid():N}");
        // A public address on 443 is accepted; nothing is sent (no rule raises anything, no test ping).
        var created = await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url = "https://8.8.8.8/hook" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.ReadJsonAsync())["data"]!["id"]!.GetValue<string>();

        foreach (var url in new[] { "http://[::ffff:0:7f00:1]/hook", "http://[64:ff9b::a00:1]/hook", "http://[2002:c0a8:101::1]/hook", "http://198.18.0.1/hook", "https://8.8.8.8:8443/hook" })
        {
            var response = await client.PutAsync($"/api/v1/webhook-endpoints/{id}", JsonContent(new JsonObject { ["url"] = url }));
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, url);
            Assert.Equal("url", (await response.ReadJsonAsync())["violations"]![0]!["field"]!.GetValue<string>());
        }
        Assert.Equal("https://8.8.8.8/hook", (await client.GetJsonAsync($"/api/v1/webhook-endpoints/{id}"))["data"]!["url"]!.GetValue<string>());
    }

    private static StringContent JsonContent(JsonNode node) => new(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}

/// <summary>Webhooks:AllowedPorts opens a port for public hosts at save time.</summary>
public sealed class SsrfGuardAllowedPortsTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Webhooks:AllowedPorts:0", "8443");

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task CreateEndpoint_OnAPortInAllowedPorts_IsAccepted_AndOtherPortsAreNot()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url = "https://8.8.8.8:8443/hook" })).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostJsonAsync("/api/v1/webhook-endpoints", new { url = "https://8.8.8.8:8444/hook" })).StatusCode);
    }
}
