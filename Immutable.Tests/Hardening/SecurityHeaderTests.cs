using System.Net;
using System.Text.RegularExpressions;
using Immutable.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Immutable.Tests.Hardening;

/// <summary>Item 8: a real Content-Security-Policy and companions on pages and documents; X-Forwarded-Proto from trusted proxies.</summary>
public sealed partial class SecurityHeaderTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Geo:TrustedProxies:0", "10.0.0.2");

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData("/account/signin")]
    [InlineData("/account/setup")]
    [InlineData("/")]
    public async Task DashboardPages_SendAStrictCspWhoseNonceCoversTheOnlyInlineScript(string path)
    {
        var client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = true });
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        var nonce = NonceIn().Match(csp).Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.DoesNotContain("'unsafe-inline'", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());

        // Every inline script in the page carries this response's nonce; external ones come from this origin.
        var html = await response.Content.ReadAsStringAsync();
        foreach (Match script in ScriptTag().Matches(html))
        {
            var tag = script.Value;
            if (tag.Contains("src=", StringComparison.Ordinal))
                Assert.DoesNotMatch("src=\"(https?:)?//", tag);
            else
                Assert.Contains($"nonce=\"{nonce}\"", tag);
        }
        // A fresh nonce per response.
        var again = (await client.GetAsync(path)).Headers.GetValues("Content-Security-Policy").Single();
        Assert.NotEqual(nonce, NonceIn().Match(again).Groups[1].Value);
    }

    [Theory]
    [InlineData("/docs/api", "text/html")]
    [InlineData("/openapi/v1.json", "json")]
    public async Task ApiReferenceAndOpenApiDocument_SendCspNosniffAndReferrerPolicy(string path, string type)
    {
        var response = await _app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(type, response.Content.Headers.ContentType!.MediaType);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("http", csp); // nothing from another origin
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task ApiErrors_AreNosniffAndUnframeable()
    {
        var response = await _app.CreateClient().GetAsync("/api/v1/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("10.0.0.2", true)]    // the configured proxy terminated TLS
    [InlineData("203.0.113.5", false)] // anyone else claiming https is not believed
    public async Task XForwardedProto_FromATrustedProxy_MakesCookiesSecure(string peer, bool secure)
    {
        var client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/signin");
        request.Headers.Add("X-Test-Peer", peer);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "198.51.100.7");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.Contains("Antiforgery", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(secure, cookie.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("'nonce-([^']+)'")]
    private static partial Regex NonceIn();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();
}
