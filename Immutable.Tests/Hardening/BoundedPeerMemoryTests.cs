using System.Net;
using System.Text.Json.Nodes;
using Immutable.Tests.TestSupport;
using Immutable.Web.Integrity;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Hardening;

/// <summary>
/// Item 1: a hostile receiver or a huge verification costs a bounded buffer, not its size. (The RSS figures under
/// load come from scripts/measure-hardening.sh; these tests pin the behaviour that bounds them.)
/// </summary>
public sealed class BoundedPeerMemoryTests : IAsyncLifetime
{
    private ImmutableAppFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = new ImmutableAppFactory()
            .With("Webhooks:AllowedPrivateHosts:0", "127.0.0.1")
            .With("Webhooks:TimeoutSeconds", "20")
            .With("Integrity:MaxConcurrentVerifications", "1")
            .With("Integrity:VerifyPageSize", "100");
        _client = await _app.CreateWorkspaceClientAsync();
    }

    public Task DisposeAsync()
    {
        _app.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Webhook_ReceiverAnsweringAHugeOrEndlessBody_IsReadOnlyAsFarAsTheExcerpt_ThenDropped(bool endless)
    {
        await using var peer = new HostilePeer(endless);
        var created = await (await _client.PostJsonAsync("/api/v1/webhook-endpoints", $$"""{"url":"{{peer.Url}}","record_types":["alerts"]}""")).ReadJsonAsync();
        var endpoint = created["data"]!["id"]!.GetValue<string>();
        await _client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country","channels":["webhook"]}""");
        await _client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await _client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });

        var attempt = await WaitForAttemptAsync(endpoint);
        Assert.Equal(200, attempt["status_code"]!.GetValue<int>());
        Assert.Null(attempt["error"]);
        var excerpt = attempt["response_excerpt"]!.GetValue<string>();
        Assert.Equal(new string('x', 512), excerpt);
        // The client stopped reading and closed: the peer wrote what the socket buffers took, not 200 MiB.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (peer.Dropped == 0 && clock.ElapsedMilliseconds < 10_000) await Task.Delay(20);
        Assert.Equal(1, peer.Dropped);
        Assert.True(peer.BytesWritten < 32L * 1024 * 1024, $"peer wrote {peer.BytesWritten} bytes before the drop");
    }

    private async Task<JsonNode> WaitForAttemptAsync(string endpointId)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 15_000)
        {
            var deliveries = (await _client.GetJsonAsync($"/api/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]!.AsArray();
            if (deliveries.SelectMany(d => d!["attempt_log"]!.AsArray()).FirstOrDefault() is { } attempt) return attempt;
            await Task.Delay(50);
        }
        Assert.Fail("no delivery attempt was recorded");
        return null!;
    }

    [Fact]
    public async Task Verify_BeyondTheWorkspacesConcurrentLimit_Answers429WithRetryAfter_OthersUnaffected()
    {
        await _client.IngestAsync(new { actor_id = "a", action = "x.y" });
        var audit = _app.Services.GetRequiredService<ChainAudit>();
        var workspace = await WorkspaceOfAsync();
        using (var held = await audit.EnterAsync(workspace, TimeSpan.Zero, CancellationToken.None))
        {
            Assert.NotNull(held);
            var refused = await _client.GetAsync("/api/v1/verify");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter is not null);
            Assert.Equal("rate_limited", (await refused.ReadJsonAsync())["error"]!.GetValue<string>());
            // The limit is per workspace: another workspace verifies meanwhile.
            var other = await _app.CreateWorkspaceClientAsync("other");
            await other.IngestAsync(new { actor_id = "a", action = "x.y" });
            Assert.True((await other.GetJsonAsync("/api/v1/verify"))["data"]!["valid"]!.GetValue<bool>());
        }
        Assert.True((await _client.GetJsonAsync("/api/v1/verify"))["data"]!["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Verify_InPagesOfBoundedSize_ChecksLinksAcrossPageBoundaries()
    {
        var batch = Enumerable.Range(0, 100).Select(i => new { actor_id = "a" + i, action = "x.y" }).ToArray();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await _client.PostJsonAsync("/api/v1/events/batch", new { events = batch })).StatusCode);
        var intact = (await _client.GetJsonAsync("/api/v1/verify?limit=250"))["data"]!;
        Assert.True(intact["valid"]!.GetValue<bool>());
        Assert.Equal(250, intact["events_checked"]!.GetValue<int>());
        Assert.True(intact["has_more"]!.GetValue<bool>());
        Assert.Equal(250, intact["last_sequence"]!.GetValue<long>());

        // Delete the event that starts the second page: the link across the boundary breaks at sequence 102.
        using (var db = _app.OpenDatabase())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "DELETE FROM events WHERE sequence = 101";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        var broken = (await _client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.False(broken["valid"]!.GetValue<bool>());
        Assert.Equal(299, broken["events_checked"]!.GetValue<int>());
        var b = Assert.Single(broken["breaks"]!.AsArray())!;
        Assert.Equal("chain_break", b["type"]!.GetValue<string>());
        Assert.Equal(102, b["sequence"]!.GetValue<long>());
        Assert.Equal(1, broken["breaks_total"]!.GetValue<int>());
    }

    private async Task<string> WorkspaceOfAsync()
    {
        using var db = _app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT workspace_id FROM events LIMIT 1";
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
