using System.Net;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Immutable.Tests.Hardening;

/// <summary>The webhook SSRF guard itself: special ranges, this host's addresses, ports, and the operator's allow-list.</summary>
public sealed class SsrfGuardTests
{
    private static WebhookUrlGuard Guard(WebhookOptions? options = null, params IPAddress[] hostAddresses) =>
        new(Options.Create(options ?? new WebhookOptions()), new HostAddresses(new FakeTimeProvider(), () => hostAddresses));

    [Theory]
    [MemberData(nameof(SpecialAddressesTests.NotPublic), MemberType = typeof(SpecialAddressesTests))]
    public async Task Guard_RefusesEverySpecialAddress_AtSaveAndAtConnect(string address)
    {
        var guard = Guard();
        var literal = IPAddress.Parse(address);
        var host = literal.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{literal}]" : literal.ToString();
        Assert.NotNull(await guard.CheckAsync($"https://{host}/hook", default));
        await Assert.ThrowsAsync<BlockedAddressException>(() => guard.ResolveAsync(host, 443, default));
    }

    [Theory]
    [InlineData("https://8.8.8.8/hook")]
    [InlineData("http://1.1.1.1/hook")]
    [InlineData("https://[2606:4700::1111]/hook")]
    [InlineData("http://[::ffff:8.8.8.8]:80/hook")]
    public async Task Guard_AcceptsAPublicAddressOnAStandardPort(string url) => Assert.Null(await Guard().CheckAsync(url, default));

    [Fact]
    public async Task Guard_RefusesThisHostsOwnAddresses_EvenPublicOnes()
    {
        var guard = Guard(null, IPAddress.Parse("8.8.4.4"), IPAddress.Parse("2606:4700::6810:1"));
        Assert.Contains("address of this host", await guard.CheckAsync("https://8.8.4.4/hook", default), StringComparison.Ordinal);
        Assert.Contains("address of this host", await guard.CheckAsync("https://[2606:4700::6810:1]/hook", default), StringComparison.Ordinal);
        Assert.Contains("address of this host", await guard.CheckAsync("https://[::ffff:8.8.4.4]/hook", default), StringComparison.Ordinal);
        await Assert.ThrowsAsync<BlockedAddressException>(() => guard.ResolveAsync("8.8.4.4", 443, default));
        Assert.Null(await guard.CheckAsync("https://8.8.8.8/hook", default));
    }

    [Fact]
    public async Task Guard_AllowsOnly80And443AndTheConfiguredPorts_AtSaveAndAtConnect()
    {
        var strict = Guard();
        Assert.Contains("port 8080", await strict.CheckAsync("http://8.8.8.8:8080/hook", default), StringComparison.Ordinal);
        Assert.NotNull(await strict.CheckAsync("https://8.8.8.8:25/hook", default));
        await Assert.ThrowsAsync<BlockedAddressException>(() => strict.ResolveAsync("8.8.8.8", 6379, default));
        Assert.Single(await strict.ResolveAsync("8.8.8.8", 80, default));

        var configured = Guard(new WebhookOptions { AllowedPorts = [8080] });
        Assert.Null(await configured.CheckAsync("http://8.8.8.8:8080/hook", default));
        Assert.NotNull(await configured.CheckAsync("http://8.8.8.8:8081/hook", default));
        // A port allowance does not open special ranges.
        Assert.NotNull(await configured.CheckAsync("http://10.0.0.1:8080/hook", default));
    }

    [Fact]
    public async Task AllowedPrivateHosts_ByNameIpOrCidr_AllowTheirAddresses_OnAnyPort()
    {
        var guard = Guard(new WebhookOptions { AllowedPrivateHosts = ["127.0.0.1", "10.1.0.0/16", "localhost", "::ffff:0:0:0/96"] }, IPAddress.Loopback);
        Assert.Null(await guard.CheckAsync("http://127.0.0.1:9999/hook", default));
        Assert.Null(await guard.CheckAsync("http://10.1.2.3:6379/hook", default));
        Assert.Null(await guard.CheckAsync("http://localhost:5555/hook", default));
        Assert.Null(await guard.CheckAsync("http://[::ffff:0:7f00:1]:81/hook", default));
        Assert.NotNull(await guard.CheckAsync("http://10.2.0.1/hook", default));
        Assert.NotNull(await guard.CheckAsync("http://127.0.0.2/hook", default));
        // Allowing one host's name or network does not lift the port limit for public hosts.
        Assert.NotNull(await guard.CheckAsync("http://8.8.8.8:9999/hook", default));
    }

    [Fact]
    public async Task Localhost_ResolvesToLoopback_AndIsRefused()
    {
        var reason = await Guard().CheckAsync("http://localhost/hook", default);
        Assert.Contains("loopback", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HostAddresses_ListsTheRealInterfaces_AndCachesThemBriefly()
    {
        Assert.True(new HostAddresses(TimeProvider.System).Contains(IPAddress.Loopback));

        var time = new FakeTimeProvider();
        var calls = 0;
        IPAddress[] current = [IPAddress.Parse("8.8.4.4")];
        var addresses = new HostAddresses(time, () => { calls++; return current; });
        Assert.True(addresses.Contains(IPAddress.Parse("8.8.4.4")));
        current = [IPAddress.Parse("9.9.9.9")];
        time.Advance(HostAddresses.CacheFor - TimeSpan.FromSeconds(1));
        Assert.True(addresses.Contains(IPAddress.Parse("8.8.4.4")));
        Assert.Equal(1, calls);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(addresses.Contains(IPAddress.Parse("8.8.4.4")));
        Assert.True(addresses.Contains(IPAddress.Parse("::ffff:9.9.9.9")));
        Assert.Equal(2, calls);
    }
}
