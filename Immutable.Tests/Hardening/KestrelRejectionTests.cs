using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Immutable.Tests.Hardening;

/// <summary>The real host on real Kestrel (127.0.0.1), with short timeouts so the slow-client cases take seconds.</summary>
public sealed class KestrelHost : ImmutableAppFactory
{
    public KestrelHost()
    {
        Port = AppProcess.FreePort();
        UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, Port);
            o.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(2);
            o.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(2));
        });
    }

    public int Port { get; }
}

/// <summary>
/// Malformed HTTP over a raw socket. Where the app sees the failure (reading the body) the answer is the JSON
/// envelope; where Kestrel answers before the app runs, the exact status is pinned here so docs/api.md stays true.
/// </summary>
public sealed class KestrelRejectionTests(KestrelHost host) : IClassFixture<KestrelHost>, IAsyncLifetime
{
    private string _key = "";

    public async Task InitializeAsync() => _key = (await host.CreateKeyAsync("kestrel")).Key;

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);

    private string Post(string contentLength, string extraHeaders = "") =>
        $"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {_key}\r\nContent-Type: application/json\r\n"
        + (contentLength.Length > 0 ? $"Content-Length: {contentLength}\r\n" : "") + extraHeaders + "Connection: close\r\n\r\n";

    /// <summary>Kestrel's own rejections: the status line, no body, the app never ran.</summary>
    public static TheoryData<string, string, int> KestrelCases => new()
    {
        { "request line over 8 KB", "GET /api/v1/events?x=" + new string('a', 9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 414 },
        { "headers over 32 KB", "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + new string('a', 33_000) + "\r\nConnection: close\r\n\r\n", 431 },
        { "malformed request line", "NONSENSE\r\n\r\n", 400 },
        { "unknown HTTP version", "GET /api/v1/events HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 505 },
        { "no Host header", "GET /api/v1/events HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
        { "header line without colon", "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n", 400 },
        { "non-numeric Content-Length", "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}", 400 },
        { "negative Content-Length", "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}", 400 },
        { "two different Content-Lengths", "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400 },
        { "Transfer-Encoding other than chunked", "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}", 400 },
    };

    [Theory]
    [MemberData(nameof(KestrelCases))]
    public async Task RejectedByKestrelBeforeTheApp_ExactStatus_EmptyBody(string name, string request, int status)
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes(request));
        Assert.True(response.Status == status, $"{name}: expected {status}, got {response.Status} {response.Body}");
        Assert.Equal("", response.Body);
        Assert.Equal("0", response.Headers.GetValueOrDefault("content-length"));
    }

    [Fact]
    public async Task RawBytesOutsideAsciiInTheRequestTarget_AreRejectedByKestrel()
    {
        var request = Encoding.ASCII.GetBytes("GET /api/v1/events?x=").Concat(new byte[] { 0xFF, 0x00 }).Concat(Encoding.ASCII.GetBytes(" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).ToArray();
        var response = await SendAsync(request);
        Assert.Equal(400, response.Status);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public async Task BodyShorterThanContentLength_ThenClientCloses_IsClosedWithoutAnswer()
    {
        // Kestrel treats the client's FIN as the end of the connection: nobody is left to read an answer.
        // (A client that stays connected instead gets the 408 envelope below.)
        var bytes = await SendRawAsync(Encoding.ASCII.GetBytes(Post("100") + """{"actor_id":"u"""), halfClose: true);
        Assert.Empty(bytes);
    }

    [Fact]
    public async Task InvalidChunkedEncoding_IsA400Envelope()
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes(Post("", "Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n"));
        AssertEnvelope(response, 400, "bad_request");
    }

    [Fact]
    public async Task BodySentTooSlowly_IsA408Envelope()
    {
        // Ten bytes of a declared thousand, then silence: below the minimum data rate once the grace period ends.
        var response = await SendAsync(Encoding.ASCII.GetBytes(Post("1000") + """{"actor_id"""));
        AssertEnvelope(response, 408, "request_timeout");
    }

    [Fact]
    public async Task HeadersSentTooSlowly_AreRejectedByKestrelWith408()
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        Assert.Equal(408, response.Status);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public async Task DeclaredBodyOverTheEndpointLimit_IsA413Envelope_WithoutReadingIt()
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes(Post((2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)) + "{"));
        AssertEnvelope(response, 413, "payload_too_large");
    }

    [Fact]
    public async Task AWellFormedRequestOverTheSameSocket_IsAccepted()
    {
        const string body = """{"actor_id":"u","action":"a.b"}""";
        var response = await SendAsync(Encoding.UTF8.GetBytes(Post(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) + body));
        Assert.Equal(202, response.Status);
    }

    private static void AssertEnvelope(RawResponse response, int status, string error)
    {
        Assert.True(response.Status == status, $"expected {status}, got {response.Status} {response.Body}");
        Assert.StartsWith("application/json", response.Headers.GetValueOrDefault("content-type") ?? "", StringComparison.Ordinal);
        var json = JsonNode.Parse(response.Body)!;
        Assert.Equal(error, json["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(json["message"]!.GetValue<string>()));
    }

    private async Task<RawResponse> SendAsync(byte[] request) => Parse(await SendRawAsync(request));

    /// <summary>Writes raw bytes, optionally closes the sending side, and reads until the server closes.</summary>
    private async Task<byte[]> SendRawAsync(byte[] request, bool halfClose = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(request);
        if (halfClose) tcp.Client.Shutdown(SocketShutdown.Send);
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException) { }
        catch (OperationCanceledException) { }
        return received.ToArray();
    }

    private static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP response: '{text}'");
        var lines = text[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim(), StringComparer.Ordinal);
        var body = text[(split + 4)..];
        if (headers.GetValueOrDefault("transfer-encoding") == "chunked") body = Dechunk(body);
        return new RawResponse(status, headers, body);
    }

    private static string Dechunk(string chunked)
    {
        var sb = new StringBuilder();
        var at = 0;
        while (true)
        {
            var eol = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..eol], 16);
            if (size == 0) return sb.ToString();
            sb.Append(chunked, eol + 2, size);
            at = eol + 2 + size + 2;
        }
    }
}
