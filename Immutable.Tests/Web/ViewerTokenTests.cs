using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Web;

/// <summary>POST /api/v1/viewer-token and what a viewer token may (only) do: read its own scope of events.</summary>
[Trait("Postgres", "run")]
public sealed class ViewerTokenTests : IAsyncLifetime
{
    private readonly ImmutableAppFactory _app = new();
    private HttpClient _key = null!;

    public async Task InitializeAsync() => _key = await _app.CreateWorkspaceClientAsync("acme");

    public Task DisposeAsync()
    {
        _app.Dispose();
        return Task.CompletedTask;
    }

    private async Task<JsonNode> IssueAsync(object? body)
    {
        var response = body is null ? await _key.PostAsync("/api/v1/viewer-token", null) : await _key.PostJsonAsync("/api/v1/viewer-token", body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    private HttpClient ViewerClient(string token)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Issue_WithTtl_ReturnsTheTokenUnderBothNamesAndItsExpiry()
    {
        var body = await IssueAsync(new { tenant_id = "t_alpha", actor_id = "u1", ttl = 600 });
        var token = body["token"]!.GetValue<string>();
        Assert.Equal(token, body["viewer_token"]!.GetValue<string>());
        Assert.Equal(3, token.Split('.').Length);
        Assert.Equal("2026-03-27T14:10:00.000000Z", body["expires_at"]!.GetValue<string>());
    }

    [Fact]
    public async Task Issue_NoBody_DefaultsToOneHour()
    {
        var body = await IssueAsync(null);
        Assert.Equal("2026-03-27T15:00:00.000000Z", body["expires_at"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"ttl":59}""", "ttl")]
    [InlineData("""{"ttl":86401}""", "ttl")]
    [InlineData("""{"ttl":"3600"}""", "ttl")]
    [InlineData("""{"ttl":1.5}""", "ttl")]
    [InlineData("""{"tenant_id":7}""", "tenant_id")]
    [InlineData("""{"actor_id":""}""", "actor_id")]
    public async Task Issue_BadField_Is422NamingIt(string json, string field)
    {
        var response = await _key.PostJsonAsync("/api/v1/viewer-token", json);
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("validation_failed", body["error"]!.GetValue<string>());
        Assert.Equal(field, body["violations"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task ViewerToken_ReadsOnlyItsTenant_WhateverTheQuerySays()
    {
        var alpha = await _key.IngestAsync(new { actor_id = "u1", action = "document.created", tenant_id = "t_alpha" });
        var alpha2 = await _key.IngestAsync(new { actor_id = "u2", action = "document.deleted", tenant_id = "t_alpha" });
        var beta = await _key.IngestAsync(new { actor_id = "u1", action = "document.created", tenant_id = "t_beta" });
        var none = await _key.IngestAsync(new { actor_id = "u1", action = "auth.login" });
        var viewer = ViewerClient((await IssueAsync(new { tenant_id = "t_alpha" }))["token"]!.GetValue<string>());

        var list = await viewer.GetJsonAsync("/api/v1/events");
        var ids = list["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new[] { alpha, alpha2 }.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(2, list["pagination"]!["total"]!.GetValue<int>());
        Assert.Empty((await viewer.GetJsonAsync("/api/v1/events?tenant_id=t_beta"))["data"]!.AsArray());
        Assert.Single((await viewer.GetJsonAsync("/api/v1/events?action=document.deleted"))["data"]!.AsArray());

        Assert.Equal(alpha, (await viewer.GetJsonAsync($"/api/v1/events/{alpha}"))["data"]!["id"]!.GetValue<string>());
        await viewer.GetJsonAsync($"/api/v1/events/{beta}", HttpStatusCode.NotFound);
        await viewer.GetJsonAsync($"/api/v1/events/{none}", HttpStatusCode.NotFound);

        // An actor-scoped token narrows further.
        var actorViewer = ViewerClient((await IssueAsync(new { tenant_id = "t_alpha", actor_id = "u2" }))["token"]!.GetValue<string>());
        Assert.Equal([alpha2], (await actorViewer.GetJsonAsync("/api/v1/events"))["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
        Assert.Empty((await actorViewer.GetJsonAsync("/api/v1/events?actor_id=u1"))["data"]!.AsArray());
    }

    [Theory]
    [InlineData("POST", "/api/v1/events")]
    [InlineData("POST", "/api/v1/events/batch")]
    [InlineData("POST", "/api/v1/viewer-token")]
    [InlineData("GET", "/api/v1/verify")]
    [InlineData("GET", "/api/v1/alerts")]
    [InlineData("GET", "/api/v1/alert-rules")]
    [InlineData("GET", "/api/v1/monitors")]
    [InlineData("GET", "/api/v1/webhook-endpoints")]
    [InlineData("GET", "/api/v1/log-streams")]
    [InlineData("GET", "/api/v1/settings")]
    [InlineData("PUT", "/api/v1/settings/ip-allowlist")]
    [InlineData("POST", "/hubs/alerts/negotiate?negotiateVersion=1")]
    public async Task ViewerToken_AnyOtherEndpointOrTheHub_IsRefused(string method, string path)
    {
        var token = (await IssueAsync(new { tenant_id = "t_alpha" }))["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await _app.CreateClient().SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        // The hub's query-string token is refused the same way.
        var hub = await _app.CreateClient().PostAsync($"/hubs/alerts/negotiate?negotiateVersion=1&access_token={token}", null);
        Assert.Equal(HttpStatusCode.Unauthorized, hub.StatusCode);
    }

    [Fact]
    public async Task ViewerToken_AfterItsExpiry_Is401()
    {
        var viewer = ViewerClient((await IssueAsync(new { tenant_id = "t_alpha", ttl = 60 }))["token"]!.GetValue<string>());
        await viewer.GetJsonAsync("/api/v1/events");
        _app.Time.Advance(TimeSpan.FromSeconds(60));
        var body = await viewer.GetJsonAsync("/api/v1/events", HttpStatusCode.Unauthorized);
        Assert.Equal("unauthenticated", body["error"]!.GetValue<string>());
        Assert.Equal("The viewer token has expired.", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ViewerToken_TamperedOrForeignOrRotated_Is401()
    {
        var token = (await IssueAsync(new { tenant_id = "t_alpha" }))["token"]!.GetValue<string>();
        var parts = token.Split('.');

        // The same claims naming another tenant, with the original signature: the signature no longer matches.
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(parts[1])).Replace("t_alpha", "t_beta", StringComparison.Ordinal);
        await ViewerClient($"{parts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}").GetJsonAsync("/api/v1/events", HttpStatusCode.Unauthorized);

        // A token of another workspace names that workspace; it cannot be turned into one of ours.
        var other = await _app.CreateWorkspaceClientAsync("globex");
        var foreign = (await (await other.PostAsync("/api/v1/viewer-token", null)).ReadJsonAsync())["token"]!.GetValue<string>();
        var foreignParts = foreign.Split('.');
        var ours = Encoding.UTF8.GetString(Base64UrlDecode(parts[1]));
        await ViewerClient($"{foreignParts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(ours))}.{foreignParts[2]}").GetJsonAsync("/api/v1/events", HttpStatusCode.Unauthorized);

        // "alg":"none" with no signature.
        var none = Base64UrlEncode(Encoding.UTF8.GetBytes("""{"alg":"none","typ":"JWT"}"""));
        await ViewerClient($"{none}.{parts[1]}.").GetJsonAsync("/api/v1/events", HttpStatusCode.Unauthorized);

        // Rotating the workspace's viewer key revokes every token issued before.
        await ViewerClient(token).GetJsonAsync("/api/v1/events");
        Assert.Equal(HttpStatusCode.OK, (await _key.PostAsync("/api/v1/settings/viewer/rotate-secret", null)).StatusCode);
        await ViewerClient(token).GetJsonAsync("/api/v1/events", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ViewerPage_FrameAncestorsFollowTheWorkspaceSetting_DefaultNone()
    {
        var token = (await IssueAsync(new { tenant_id = "t_alpha" }))["token"]!.GetValue<string>();
        var page = await _app.CreateClient().GetAsync($"/viewer?token={token}&theme=dark");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("data-theme=\"dark\"", await page.Content.ReadAsStringAsync());

        var put = await _key.PutAsync("/api/v1/settings/viewer", new StringContent("""{"frame_ancestors":["https://App.Example.com/","https://*.example.org"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        page = await _app.CreateClient().GetAsync($"/viewer?token={token}");
        Assert.Contains("frame-ancestors https://app.example.com https://*.example.org", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(page.Headers.Contains("X-Frame-Options"));
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());

        var bad = await _app.CreateClient().GetAsync("/viewer?token=nope");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("frame-ancestors 'none'", bad.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("""{"frame_ancestors":["https://a.example.com; script-src *"]}""")]
    [InlineData("""{"frame_ancestors":["https://a.example.com/path"]}""")]
    [InlineData("""{"frame_ancestors":["javascript:alert(1)"]}""")]
    [InlineData("""{"frame_ancestors":["*"]}""")]
    [InlineData("""{"frame_ancestors":"https://a.example.com"}""")]
    public async Task ViewerSettings_NotAnOrigin_Is422(string json)
    {
        var response = await _key.PutAsync("/api/v1/settings/viewer", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("validation_failed", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenApiDocument_DescribesViewerTokensSettingsAndLogStreams()
    {
        var paths = (await _app.CreateClient().GetJsonAsync("/openapi/v1.json"))["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/viewer-token", "/api/v1/settings", "/api/v1/settings/ip-allowlist", "/api/v1/settings/event-schema",
            "/api/v1/settings/viewer", "/api/v1/settings/viewer/rotate-secret", "/api/v1/log-streams", "/api/v1/log-streams/{id}", "/api/v1/log-streams/{id}/deliveries" })
            Assert.True(paths.ContainsKey(path), $"missing {path}");
        Assert.NotNull(paths["/api/v1/viewer-token"]!["post"]!["requestBody"]);
        Assert.True(paths["/api/v1/settings/event-schema"]!["put"]!["responses"]!.AsObject().ContainsKey("422"));
        Assert.True(paths["/api/v1/events"]!.AsObject().ContainsKey("get"));
    }

    private static byte[] Base64UrlDecode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
