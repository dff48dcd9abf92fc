using System.Net;
using System.Text;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

/// <summary>The workspace IP allow-list: which client addresses an API key works from.</summary>
public sealed class IpAllowlistTests : IAsyncLifetime
{
    private const string Refusal = """{"error":"forbidden","message":"Your IP address is not in the workspace allowlist."}""";
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Geo:TrustedProxies:0", "10.9.0.1");
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.CreateWorkspaceClientAsync("acme");

    public Task DisposeAsync()
    {
        _app.Dispose();
        return Task.CompletedTask;
    }

    private Task<HttpResponseMessage> PutAsync(string json, string peer = "203.0.113.9")
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/ip-allowlist") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Test-Peer", peer);
        return _client.SendAsync(request);
    }

    private Task<HttpResponseMessage> GetFromAsync(string peer, string? forwardedFor = null, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Add("X-Test-Peer", peer);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        return (client ?? _client).SendAsync(request);
    }

    [Fact]
    public async Task Allowlist_KeyUsedFromElsewhere_Is403WithTheExactBody_InsideIsServed()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("198.51.100.1")).StatusCode); // empty list: everywhere
        var put = await PutAsync("""{"entries":["203.0.113.0/24"," 2001:db8::/32 ","192.0.2.7"]}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(["203.0.113.0/24", "2001:db8::/32", "192.0.2.7"],
            (await put.ReadJsonAsync())["data"]!["ip_allowlist"]!.AsArray().Select(e => e!.GetValue<string>()));

        var outside = await GetFromAsync("198.51.100.1");
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        Assert.Equal(Refusal, await outside.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetFromAsync("192.0.2.8")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetFromAsync("2001:db9::1")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("203.0.113.250")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("2001:db8:1::5")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("::ffff:192.0.2.7")).StatusCode);

        // Ingest is refused too, and nothing is stored.
        var ingest = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = new StringContent("""{"actor_id":"u","action":"a.b"}""", Encoding.UTF8, "application/json") };
        ingest.Headers.Add("X-Test-Peer", "198.51.100.1");
        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(ingest)).StatusCode);

        // Another workspace's keys are not limited by this list.
        var other = await _app.CreateWorkspaceClientAsync("globex");
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("198.51.100.1", client: other)).StatusCode);

        // Emptying it allows everywhere again.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("""{"entries":[]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("198.51.100.1")).StatusCode);
    }

    [Fact]
    public async Task Allowlist_BehindATrustedProxy_UsesTheForwardedAddressOnlyFromTheProxy()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("""{"entries":["203.0.113.0/24"]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("10.9.0.1", "203.0.113.5")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetFromAsync("10.9.0.1", "198.51.100.1")).StatusCode);
        // A peer that is not a configured proxy cannot claim an address.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetFromAsync("198.51.100.7", "203.0.113.5")).StatusCode);
    }

    [Fact]
    public async Task Allowlist_ViewerTokens_AreNotLimited()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("""{"entries":["203.0.113.0/24"]}""")).StatusCode);
        var issue = new HttpRequestMessage(HttpMethod.Post, "/api/v1/viewer-token");
        issue.Headers.Add("X-Test-Peer", "203.0.113.1");
        var token = (await (await _client.SendAsync(issue)).ReadJsonAsync())["token"]!.GetValue<string>();
        var viewer = _app.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await GetFromAsync("198.51.100.1", client: viewer)).StatusCode);
    }

    [Fact]
    public async Task Allowlist_BadEntries_Are422WithTheirPaths_AndNothingChanges()
    {
        var response = await PutAsync("""{"entries":["10.0.0.0/8","10.1","10.0.0.1/33","10.0.0.1/8","0x7f.0.0.1","fe80::1%eth0","2001:db8::/129"]}""");
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["entries[1]", "entries[2]", "entries[3]", "entries[4]", "entries[5]", "entries[6]"],
            body["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()));
        Assert.Empty((await _client.GetJsonAsync("/api/v1/settings"))["data"]!["ip_allowlist"]!.AsArray());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PutAsync("""{"entries":"10.0.0.0/8"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync("""{"entries":[""")).StatusCode);
    }

    [Fact]
    public async Task Allowlist_Change_IsRecordedInTheChain()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("""{"entries":["203.0.113.0/24"]}""")).StatusCode);
        var inside = await _app.CreateWorkspaceClientAsync("acme");
        inside.DefaultRequestHeaders.Add("X-Test-Peer", "203.0.113.9");
        var events = (await inside.GetJsonAsync("/api/v1/events?action=workspace.ip_allowlist_updated"))["data"]!.AsArray();
        var e = Assert.Single(events)!;
        Assert.StartsWith("api_key:", e["actor_id"]!.GetValue<string>());
        Assert.Empty(e["metadata"]!["before"]!.AsArray());
        Assert.Equal("203.0.113.0/24", e["metadata"]!["after"]![0]!.GetValue<string>());
        Assert.True((await inside.GetJsonAsync("/api/v1/verify"))["data"]!["valid"]!.GetValue<bool>());
    }
}
