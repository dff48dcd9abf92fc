using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Immutable.Tests.Hardening;
using Immutable.Tests.TestSupport;
using Immutable.Web.Alerts;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web.Postgres;

/// <summary>
/// Issue 13 item 4: what one instance changes or raises reaches the other. Two real hosts (A and B) share one
/// PostgreSQL database (domain events cross with LISTEN/NOTIFY, Data Protection keys are in it) and one Redis (SignalR's
/// backplane). Waits are generous and nothing is timed: the proofs are about where things arrive, not how fast.
/// </summary>
[Trait("Postgres", "run")]
[Trait("MultiInstance", "true")]
public sealed partial class CrossInstanceTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>Instance A (a database of its own on the test server); <paramref name="redisPrefix"/> null: no Redis.</summary>
    private static ImmutableAppFactory First(string? redisPrefix, bool detection = true) =>
        Configure(new ImmutableAppFactory(null, null, StorageProvider.Postgres), redisPrefix, detection);

    /// <summary>
    /// Instance B: the same database, a data folder of its own (another machine), so nothing A and B agree on can come
    /// from shared files: Data Protection keys included.
    /// </summary>
    private static ImmutableAppFactory Second(ImmutableAppFactory first, string? redisPrefix, bool detection = true) =>
        Configure(new ImmutableAppFactory(null, null, StorageProvider.Postgres, first.PostgresConnectionString), redisPrefix, detection);

    private static ImmutableAppFactory Configure(ImmutableAppFactory host, string? redisPrefix, bool detection)
    {
        if (redisPrefix is not null) host.With("Redis:ConnectionString", TestRedis.Server).With("Redis:ChannelPrefix", redisPrefix);
        // An instance that stores only: the other one certainly evaluates every event.
        if (!detection) host.With("Detection:StreamEvaluation", "false");
        return host;
    }

    private static string NewPrefix() => "immutable-test-" + Guid.NewGuid().ToString("N");

    private static HttpClient Client(ImmutableAppFactory host, string key)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    private static HubConnection Hub(ImmutableAppFactory host, string key) => new HubConnectionBuilder()
        .WithUrl(new Uri(host.Server.BaseAddress, "/hubs/alerts"), o =>
        {
            o.Transports = HttpTransportType.LongPolling; // the test server speaks HTTP; WebSockets need a real socket
            o.HttpMessageHandlerFactory = _ => host.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(key);
        })
        .Build();

    [TwoHostsFact]
    public async Task Rules_ChangedOnA_AppliedByBsDetectionFromTheNextChunk()
    {
        using var a = First(redisPrefix: null, detection: false);
        var key = await a.CreateKeyAsync("shared");
        using var b = Second(a, redisPrefix: null);
        var onA = Client(a, key.Key);
        var onB = Client(b, key.Key);

        // B evaluates the workspace with rule 1 loaded and cached (its alert proves it).
        var first = await onA.CreateRuleAsync("""{"name":"First","rule_type":"new_country"}""");
        await onB.IngestAsync(new { actor_id = "warm", action = "auth.login", ip_address = NewYorkIp });
        await onB.IngestAsync(new { actor_id = "warm", action = "auth.login", ip_address = BucharestIp });
        await onB.WaitForAlertsAsync("rule_id=" + first, 1);

        // On A: rule 1 disabled, then rule 2 created. B holds the workspace's stream all along (A evaluates nothing),
        // so only A's RuleChanged events can make it reload: without them it keeps alerting on rule 1 forever.
        var disabled = await onA.PutAsync($"/api/v1/alert-rules/{first}", new StringContent(
            """{"name":"First","rule_type":"new_country","enabled":false}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(disabled.IsSuccessStatusCode, await disabled.Content.ReadAsStringAsync());
        var second = await onA.CreateRuleAsync("""{"name":"Second","rule_type":"new_country"}""");

        // New actors on B until one's new country is caught by rule 2 (B reloaded its rules); the event that rule 2
        // caught was evaluated with rules loaded after the PUT, so rule 1 must not have caught it.
        string? caught = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; caught is null && clock.Elapsed < Generous; i++)
        {
            await onB.IngestAsync(new { actor_id = $"u{i}", action = "auth.login", ip_address = NewYorkIp });
            var eventId = await onB.IngestAsync(new { actor_id = $"u{i}", action = "auth.login", ip_address = BucharestIp });
            await onB.SettleAsync(b);
            var byRule2 = (await onB.GetJsonAsync($"/api/v1/alerts?rule_id={second}&actor_id=u{i}"))["data"]!.AsArray();
            if (byRule2.Count > 0) caught = byRule2[0]!["event_id"]!.GetValue<string>();
            Assert.True(caught is null || caught == eventId);
        }
        Assert.True(caught is not null, "B never applied the rules changed on A");
        var byRule1 = (await onB.GetJsonAsync($"/api/v1/alerts?rule_id={first}&limit=100"))["data"]!.AsArray();
        Assert.DoesNotContain(byRule1, x => x!["event_id"]!.GetValue<string>() == caught);

        // The lease says who evaluated: B, never A.
        await using var store = b.OpenStore();
        await using var command = store.CreateCommand();
        command.CommandText = $"SELECT owner FROM leases WHERE name = 'detection:{key.WorkspaceId}'";
        Assert.Equal(b.Services.GetRequiredService<LeaseOwner>().Id, (string?)await command.ExecuteScalarAsync());
    }

    [TwoHostsFact]
    public Task Alerts_RaisedByIngestOnA_ReachSignalRClientsAndDashboardOnB_WithRedis() => AlertsReachBAsync(NewPrefix());

    [TwoHostsFact]
    public Task Alerts_RaisedByIngestOnA_ReachSignalRClientsAndDashboardOnB_WithoutRedis() => AlertsReachBAsync(null);

    /// <summary>
    /// A evaluates (B stores only); a SignalR client and the dashboard's notifier on B receive A's alerts. With Redis the
    /// backplane carries the hub message and B's own push stays quiet; without it B pushes what A's NOTIFY told it.
    /// Either way each alert arrives once.
    /// </summary>
    private static async Task AlertsReachBAsync(string? redisPrefix)
    {
        using var a = First(redisPrefix);
        var key = await a.CreateKeyAsync("shared");
        using var b = Second(a, redisPrefix, detection: false);
        var onA = Client(a, key.Key);
        await onA.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");

        var hubReceived = new ConcurrentQueue<string>();
        var dashboardReceived = new ConcurrentQueue<string>();
        b.Services.GetRequiredService<LiveNotifier>().AlertRaised += (ws, alert) => { if (ws == key.WorkspaceId) dashboardReceived.Enqueue(alert.Id); };
        await using var hub = Hub(b, key.Key);
        hub.On<JsonElement>("AlertRaised", alert => hubReceived.Enqueue(alert.GetProperty("id").GetString()!));
        await hub.StartAsync();

        await onA.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await onA.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
        var firstId = (await onA.WaitForAlertsAsync("actor_id=jordan", 1))[0]!["id"]!.GetValue<string>();
        await WaitUntilAsync(() => hubReceived.Contains(firstId) && dashboardReceived.Contains(firstId), "the first alert on B");

        // A second alert after it: in order on each path, so by the time it arrived a duplicate of the first would have.
        await onA.IngestAsync(new { actor_id = "casey", action = "auth.login", ip_address = NewYorkIp });
        await onA.IngestAsync(new { actor_id = "casey", action = "auth.login", ip_address = SydneyIp });
        var secondId = (await onA.WaitForAlertsAsync("actor_id=casey", 1))[0]!["id"]!.GetValue<string>();
        await WaitUntilAsync(() => hubReceived.Contains(secondId) && dashboardReceived.Contains(secondId), "the second alert on B");
        Assert.Equal(1, hubReceived.Count(id => id == firstId));
        Assert.Equal(1, dashboardReceived.Count(id => id == firstId));
        var readyB = await b.CreateClient().GetJsonAsync("/readyz");
        Assert.Equal(redisPrefix is null ? "not_configured" : "ok", readyB["redis"]!.GetValue<string>());
    }

    [TwoHostsFact]
    public async Task DashboardCookie_IssuedByA_AcceptedByB_AndProtectedPayloadsToo()
    {
        using var a = First(NewPrefix());
        using var b = Second(a, NewPrefix());
        await AccountKit.OwnerAsync(a);

        var browser = a.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var signIn = await AccountKit.SignInThroughFormAsync(browser);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("immutable.session=", StringComparison.Ordinal)).Split(';')[0];

        var onB = b.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var signedOut = await onB.GetAsync("/events");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode); // without the cookie: to the sign-in page
        onB.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/events")).StatusCode);

        // Anything A protects (signed export links, antiforgery tokens) B reads, and the other way round.
        var fromA = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("signed by A");
        Assert.Equal("signed by A", b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(fromA));
        var fromB = b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("signed by B");
        Assert.Equal("signed by B", a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(fromB));

        var ready = await onB.GetJsonAsync("/readyz");
        Assert.Equal("postgres", ready["storage_provider"]!.GetValue<string>());
        Assert.Equal("ok", ready["redis"]!.GetValue<string>());
    }

    [TwoHostsFact]
    public async Task Key_RevokedOnA_RefusedOnBOnTheNextRequest_AndItsStreamOnBClosed()
    {
        using var a = First(NewPrefix());
        var key = await a.CreateKeyAsync("shared");
        using var b = Second(a, NewPrefix());
        var onB = Client(b, key.Key);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/v1/events")).StatusCode);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = Hub(b, key.Key);
        hub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await hub.StartAsync();

        Assert.Equal(1, await a.Services.GetRequiredService<WorkspaceDirectory>().RevokeAsync(key.Prefix));

        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.GetAsync("/api/v1/events")).StatusCode);
        await closed.Task.WaitAsync(Generous);
        Assert.Equal(HubConnectionState.Disconnected, hub.State);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Generous) Assert.Fail($"{what} never arrived");
            await Task.Delay(50);
        }
    }
}
