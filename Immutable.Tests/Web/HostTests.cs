using System.Net;
using Immutable.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

public class HostTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    [Fact]
    public async Task UnknownDashboardAddress_InABrowser_IsTheDashboards404Page_WhileTheApiKeepsJson()
    {
        var client = app.CreateClient();
        using var page = new HttpRequestMessage(HttpMethod.Get, "/no-such-page/at-all");
        page.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        var html = await client.SendAsync(page);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<link rel=\"icon\"", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/no-such-route");
        api.Headers.Accept.ParseAdd("text/html");
        var json = await client.SendAsync(api);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, json.StatusCode);
        Assert.Equal("not_found", (await json.ReadJsonAsync())["error"]!.GetValue<string>());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/no-such-page")).StatusCode); // no Accept: JSON as before
        Assert.Equal("application/json", (await client.GetAsync("/no-such-page")).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task StaticPages_FollowTheSavedTheme_ThroughTheirOwnScriptAndCookie_WithNoInlineScript()
    {
        var client = app.CreateClient();
        async Task<string> NotFoundAsync(string? theme)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
            request.Headers.Accept.ParseAdd("text/html");
            if (theme is not null) request.Headers.Add("Cookie", $"immutable.theme={theme}");
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        // The 404 document is rendered in the dark palette (its primary colour) only when the cookie says dark.
        static bool Dark(string html) => html.Contains("9fa8da", StringComparison.OrdinalIgnoreCase) || html.Contains("159,168,218", StringComparison.Ordinal);
        Assert.True(Dark(await NotFoundAsync("dark")));
        Assert.False(Dark(await NotFoundAsync("light")));
        Assert.False(Dark(await NotFoundAsync(null)));
        Assert.False(Dark(await NotFoundAsync("<script>")));

        // The sign-in page loads theme.js from this origin in its head (before paint), and the policy still allows no inline script.
        var signIn = await client.GetAsync("/account/signin");
        var html = await signIn.Content.ReadAsStringAsync();
        var script = System.Text.RegularExpressions.Regex.Match(html, "<head>.*<script src=\"(/?theme[^\"]*\\.js)\"></script>.*</head>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(script.Success, html);
        var csp = signIn.Headers.GetValues("Content-Security-Policy").Single();
        Assert.DoesNotContain("unsafe-inline", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)), StringComparison.Ordinal);
        var js = await client.GetStringAsync("/" + script.Groups[1].Value.TrimStart('/'));
        Assert.Contains("immutable.theme", js, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Favicon_IsServed()
    {
        var response = await app.CreateClient().GetAsync("/favicon.svg");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Healthz_And_Readyz_ReportLivenessAndStore()
    {
        var client = app.CreateClient();
        Assert.Equal("ok", (await client.GetJsonAsync("/healthz"))["status"]!.GetValue<string>());
        var ready = await client.GetJsonAsync("/readyz");
        Assert.Equal(("ready", "ok", "ok", "loaded"), (ready["status"]!.GetValue<string>(), ready["database"]!.GetValue<string>(),
            ready["migrations"]!.GetValue<string>(), ready["geo_database"]!.GetValue<string>()));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesEveryEndpointWithItsErrors()
    {
        var doc = await app.CreateClient().GetJsonAsync("/openapi/v1.json");
        var paths = doc["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/events", "/api/v1/events/batch", "/api/v1/events/{id}", "/api/v1/verify" })
            Assert.True(paths.ContainsKey(path), $"missing {path}");
        var ingest = paths["/api/v1/events"]!["post"]!;
        Assert.NotNull(ingest["requestBody"]);
        foreach (var status in new[] { "202", "400", "401", "413", "415", "422", "429" })
            Assert.True(ingest["responses"]!.AsObject().ContainsKey(status), $"ingest lacks {status}");
        Assert.NotNull(doc["components"]!["schemas"]!["ApiError"]);
    }

    [Fact]
    public async Task ApiReferencePage_IsServed()
    {
        var response = await app.CreateClient().GetAsync("/docs/api");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedKey_IsRejectedOnTheNextRequest()
    {
        var key = await app.CreateKeyAsync("revocation");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        await client.IngestAsync(new { actor_id = "u", action = "a" });

        var revoked = await app.Services.GetRequiredService<Immutable.Web.Workspaces.WorkspaceDirectory>().RevokeAsync(key.Prefix);
        Assert.Equal(1, revoked);
        var response = await client.PostJsonAsync("/api/v1/events", new { actor_id = "u", action = "a" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthenticated", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Bearer imk_nope")]
    [InlineData("Bearer imk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("imk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task UnknownOrMalformedKey_Is401(string header)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        var response = await client.GetAsync("/api/v1/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Invalid or missing API key.", (await response.ReadJsonAsync())["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task StoredKey_IsOnlyAHashAndAPrefix()
    {
        var key = await app.CreateKeyAsync("hash-only");
        Assert.Matches("^imk_[0-9A-Za-z]{44}$", key.Key);
        using var db = app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT prefix || '|' || key_hash FROM api_keys";
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) Assert.DoesNotContain(key.Key, reader.GetString(0), StringComparison.Ordinal);
    }
}

public class RateLimitTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("RateLimiting:PermitsPerSecond", "1").With("RateLimiting:Burst", "3");

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task OverTheWorkspaceLimit_Is429WithRetryAfterAndEnvelope_OtherWorkspacesUnaffected()
    {
        var busy = await _app.CreateWorkspaceClientAsync("busy");
        var quiet = await _app.CreateWorkspaceClientAsync("quiet");
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var r = await busy.GetAsync("/api/v1/events");
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited = r;
        }
        Assert.NotNull(limited);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("rate_limited", (await limited.ReadJsonAsync())["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync("/api/v1/events")).StatusCode);
    }
}
