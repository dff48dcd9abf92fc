using System.Net;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

public class GeoAndClientAddressTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private async Task<System.Text.Json.Nodes.JsonNode> IngestAndReadAsync(HttpClient client, object evt, Action<HttpRequestMessage>? tweak = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(evt), System.Text.Encoding.UTF8, "application/json"),
        };
        tweak?.Invoke(request);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.ReadJsonAsync())["id"]!.GetValue<string>();
        return (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
    }

    [Fact]
    public async Task PublicIp_IsLocatedWithTheRealGeoLiteDatabase()
    {
        var client = await app.CreateWorkspaceClientAsync();
        var e = await IngestAndReadAsync(client, new { actor_id = "u", action = "auth.login", ip_address = "81.2.69.142" });
        Assert.Equal("GB", e["ip_country"]!.GetValue<string>());
        Assert.Equal("GB", e["geo"]!["country"]!.GetValue<string>());
        Assert.NotNull(e["geo"]!["latitude"]);
        Assert.NotNull(e["geo"]!["longitude"]);
        Assert.Equal("Europe/London", e["geo"]!["time_zone"]!.GetValue<string>());
        Assert.True(e["geo"]!["accuracy_radius_km"]!.GetValue<int>() > 0);
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.0.10")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("100.64.0.1")]
    public async Task PrivateOrLoopbackIp_GivesNullGeo(string ip)
    {
        var client = await app.CreateWorkspaceClientAsync();
        var e = await IngestAndReadAsync(client, new { actor_id = "u", action = "auth.login", ip_address = ip });
        Assert.Equal(ip, e["ip_address"]!.GetValue<string>());
        Assert.Null(e["ip_country"]);
        Assert.Null(e["ip_city"]);
        Assert.Null(e["geo"]!["latitude"]);
    }

    [Fact]
    public async Task NoIpInPayload_UsesTheCallersAddress()
    {
        var client = await app.CreateWorkspaceClientAsync();
        var e = await IngestAndReadAsync(client, new { actor_id = "u", action = "auth.login" }, r => r.Headers.Add("X-Test-Peer", "81.2.69.142"));
        Assert.Equal("81.2.69.142", e["ip_address"]!.GetValue<string>());
        Assert.Equal("GB", e["ip_country"]!.GetValue<string>());
    }

    [Fact]
    public async Task XForwardedFor_FromAnUntrustedPeer_IsIgnored()
    {
        var client = await app.CreateWorkspaceClientAsync();
        var e = await IngestAndReadAsync(client, new { actor_id = "u", action = "auth.login" }, r =>
        {
            r.Headers.Add("X-Test-Peer", "203.0.113.9");
            r.Headers.Add("X-Forwarded-For", "81.2.69.142");
        });
        Assert.Equal("203.0.113.9", e["ip_address"]!.GetValue<string>());
    }
}

public class TrustedProxyTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Geo:TrustedProxies:0", "10.0.0.0/8");

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task XForwardedFor_FromATrustedProxy_IsTheCaller()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = new StringContent("""{"actor_id":"u","action":"auth.login"}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Test-Peer", "10.0.0.5");
        request.Headers.Add("X-Forwarded-For", "81.2.69.142");
        var id = (await (await client.SendAsync(request)).ReadJsonAsync())["id"]!.GetValue<string>();
        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Equal("81.2.69.142", e["ip_address"]!.GetValue<string>());
        Assert.Equal("GB", e["ip_country"]!.GetValue<string>());
    }
}

public class MissingGeoDatabaseTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Geo:DatabasePath", "/nonexistent/GeoLite2-City.mmdb");

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task MissingGeoDatabase_AppStillIngests_StoresNulls_AndReadyzSaysSo()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        var id = await client.IngestAsync(new { actor_id = "u", action = "auth.login", ip_address = "81.2.69.142" });
        var e = (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!;
        Assert.Null(e["ip_country"]);
        var ready = await client.GetJsonAsync("/readyz");
        Assert.Equal("missing", ready["geo_database"]!.GetValue<string>());
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
    }
}
