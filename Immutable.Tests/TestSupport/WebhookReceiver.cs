using System.Collections.Concurrent;
using System.Net;
using Immutable.Web.Delivery.Webhook;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Immutable.Tests.TestSupport;

/// <summary>A real HTTP receiver on 127.0.0.1 (Kestrel) that checks signatures and answers as scripted.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(string Body, IReadOnlyDictionary<string, string> Headers, bool SignatureValid, int AnsweredWith);

    private readonly WebApplication _app;
    private int _count;
    private int _redirectHits;

    /// <summary>Requests that followed a redirect to /redirected (must stay 0: we never follow redirects).</summary>
    public int RedirectHits => Volatile.Read(ref _redirectHits);

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public string? Secret { get; set; }
    public ConcurrentQueue<Received> Requests { get; } = new();
    /// <summary>Per request number (1, 2, ...): the status to answer and how long to wait first.</summary>
    public Func<int, (int Status, TimeSpan Delay)> Behavior { get; set; } = _ => (200, TimeSpan.Zero);
    /// <summary>When set, every request is recorded, then held until this completes before it is answered.</summary>
    public Task? Gate { get; set; }
    /// <summary>Requests answered so far (a held request is received but not answered).</summary>
    public int Answered => Volatile.Read(ref _answered);
    private int _answered;

    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var n = Interlocked.Increment(ref receiver._count);
            var (status, delay) = receiver.Behavior(n);
            var valid = receiver.Secret is not null && WebhookSigner.Verify(receiver.Secret, body, http.Request.Headers[WebhookSigner.SignatureHeader]);
            receiver.Requests.Enqueue(new Received(System.Text.Encoding.UTF8.GetString(body),
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), valid, status));
            if (receiver.Gate is { } gate) await gate;
            if (delay > TimeSpan.Zero) await Task.Delay(delay);
            Interlocked.Increment(ref receiver._answered);
            if (status is >= 300 and < 400) http.Response.Headers.Location = "/redirected";
            return Results.Text("{\"ok\":true}", "application/json", statusCode: status);
        });
        app.MapPost("/redirected", () =>
        {
            Interlocked.Increment(ref receiver._redirectHits);
            return Results.NoContent();
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    public async Task<Received> WaitForAsync(int count, int timeoutMs = 10_000)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Requests.Count < count && clock.ElapsedMilliseconds < timeoutMs) await Task.Delay(25);
        Assert.True(Requests.Count >= count, $"receiver got {Requests.Count} request(s), expected {count}");
        return Requests.ElementAt(count - 1);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
