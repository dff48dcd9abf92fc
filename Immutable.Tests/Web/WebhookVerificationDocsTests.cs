using System.Security.Cryptography;
using System.Text;
using Immutable.Web.Delivery.Webhook;

namespace Immutable.Tests.Web;

/// <summary>The receiver code published in docs/webhooks.md, run against what the app signs.</summary>
public class WebhookVerificationDocsTests
{
    // Copied from docs/webhooks.md ("Verifying in C#") without changes.
    static bool IsFromImmutable(byte[] rawBody, string? timestampedHeader, string secret, TimeSpan tolerance, DateTimeOffset now)
    {
        // Header: t=<unix>,sha256=<hex>
        if (timestampedHeader is null) return false;
        var parts = timestampedHeader.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !long.TryParse(t, out var unix) || !parts.TryGetValue("sha256", out var presented)) return false;
        // Replay window: refuse anything signed too long ago (or too far in the future).
        if ((now - DateTimeOffset.FromUnixTimeSeconds(unix)).Duration() > tolerance) return false;

        var message = Encoding.UTF8.GetBytes(t + ".").Concat(rawBody).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
        // Constant-time compare: no early exit that leaks how many characters matched.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented));
    }

    [Fact]
    public void DocumentedVerifier_AcceptsOurSignature_RejectsTamperingReplayAndOtherSecrets()
    {
        var secret = WebhookSigner.NewSecret();
        var body = Encoding.UTF8.GetBytes("""{"event_type":"alert.triggered","alert_id":"alt_1"}""");
        var signedAt = new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero);
        var header = WebhookSigner.SignTimestamped(secret, signedAt.ToUnixTimeSeconds(), body);

        Assert.True(IsFromImmutable(body, header, secret, TimeSpan.FromMinutes(5), signedAt.AddSeconds(30)));
        Assert.False(IsFromImmutable(Encoding.UTF8.GetBytes("""{"event_type":"alert.triggered","alert_id":"alt_2"}"""), header, secret, TimeSpan.FromMinutes(5), signedAt));
        Assert.False(IsFromImmutable(body, header, secret, TimeSpan.FromMinutes(5), signedAt.AddMinutes(6)));
        Assert.False(IsFromImmutable(body, header, WebhookSigner.NewSecret(), TimeSpan.FromMinutes(5), signedAt));
        Assert.False(IsFromImmutable(body, null, secret, TimeSpan.FromMinutes(5), signedAt));
        Assert.True(WebhookSigner.Verify(secret, body, WebhookSigner.Sign(secret, body)));
        Assert.False(WebhookSigner.Verify(secret, body, "sha256=" + new string('0', 64)));
    }

    [Fact]
    public async Task DocumentedNodeVerifier_AcceptsOurSignature()
    {
        // The Node function of docs/webhooks.md, fed a header signed by WebhookSigner.
        const string nodeVerifier = """
            const crypto = require("crypto");
            function isFromImmutable(rawBody, timestampedHeader, secret, toleranceSeconds = 300) {
              if (!timestampedHeader) return false;
              const parts = Object.fromEntries(timestampedHeader.split(",").map((p) => p.split("=", 2)));
              const unix = Number(parts.t);
              if (!Number.isInteger(unix) || !parts.sha256) return false;
              if (Math.abs(Date.now() / 1000 - unix) > toleranceSeconds) return false; // replay window
              const expected = crypto.createHmac("sha256", secret)
                .update(Buffer.concat([Buffer.from(`${parts.t}.`), rawBody]))
                .digest("hex");
              const a = Buffer.from(expected), b = Buffer.from(parts.sha256);
              return a.length === b.length && crypto.timingSafeEqual(a, b); // constant time
            }
            const [secret, body, header] = process.argv.slice(1);
            console.log(isFromImmutable(Buffer.from(body), header, secret), isFromImmutable(Buffer.from(body + " "), header, secret));
            """;
        var secret = WebhookSigner.NewSecret();
        const string body = """{"event_type":"ping","note":"ünïcödé"}""";
        var header = WebhookSigner.SignTimestamped(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body));
        var info = new System.Diagnostics.ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-e", nodeVerifier, secret, body, header }) info.ArgumentList.Add(arg);
        using var node = System.Diagnostics.Process.Start(info)!;
        var output = (await node.StandardOutput.ReadToEndAsync()).Trim();
        await node.WaitForExitAsync();
        Assert.Equal("true false", output);
    }
}
