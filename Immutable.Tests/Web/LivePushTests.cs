using System.Text.Json;
using Immutable.Tests.TestSupport;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>The SignalR hub with the .NET client against the real host.</summary>
[Trait("Postgres", "run")]
public sealed class LivePushTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private HubConnection Connect(string key) => new HubConnectionBuilder()
        .WithUrl(new Uri(_app.Server.BaseAddress, "/hubs/alerts"), o =>
        {
            o.Transports = HttpTransportType.LongPolling; // the test server speaks HTTP; WebSockets need a real socket
            o.HttpMessageHandlerFactory = _ => _app.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(key);
        })
        .Build();

    [Fact]
    public async Task NewAndAcknowledgedAlerts_ReachTheirWorkspaceWithinASecond_AndNoOtherWorkspace()
    {
        var mine = await _app.CreateKeyAsync("mine");
        var theirs = await _app.CreateKeyAsync("theirs");
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", mine.Key);
        await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");

        var raised = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var changed = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaked = 0;
        await using var hub = Connect(mine.Key);
        hub.On<JsonElement>("AlertRaised", a => raised.TrySetResult(a));
        hub.On<JsonElement>("AlertChanged", a => changed.TrySetResult(a));
        await using var other = Connect(theirs.Key);
        other.On<JsonElement>("AlertRaised", _ => Interlocked.Increment(ref leaked));
        await hub.StartAsync();
        await other.StartAsync();

        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });
        var alert = await raised.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"alert arrived after {clock.ElapsedMilliseconds} ms");
        Assert.Equal("new_country", alert.GetProperty("rule_type").GetString());
        Assert.Equal("RO", alert.GetProperty("context").GetProperty("new_country").GetString());

        await client.PostAsync($"/api/v1/alerts/{alert.GetProperty("id").GetString()}/acknowledge", null);
        var acknowledged = await changed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("acknowledged", acknowledged.GetProperty("status").GetString());
        Assert.Equal(0, leaked);
    }

    [Fact]
    public async Task Hub_RefusesConnectionsWithoutAValidKey()
    {
        await using var hub = Connect("imk_" + new string('A', 44));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => hub.StartAsync());
    }
}
