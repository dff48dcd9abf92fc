using System.Net;
using Immutable.Web.Enrichment;
using Immutable.Web.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Immutable.Tests.Hardening;

/// <summary>The one table of non-public addresses, shared by geo enrichment and the webhook SSRF guard.</summary>
public sealed class SpecialAddressesTests
{
    public static TheoryData<string> NotPublic =>
    [
        // IPv6 forms that embed an IPv4 address (here 127.0.0.1 or a public one) or tunnel to one
        "::127.0.0.1", "::7f00:1", "::8.8.8.8",                   // IPv4-compatible ::/96
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped: judged as the IPv4 address
        "::ffff:0:7f00:1", "::ffff:0:808:808",                    // IPv4-translated ::ffff:0:0:0/96
        "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::a00:1", // NAT64, well-known and local-use
        "2002:7f00:1::1", "2002:808:808::1",                      // 6to4
        "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1",        // Teredo
        // IPv4 special-purpose blocks
        "192.0.0.1", "192.0.0.170", "198.18.0.1", "198.19.255.254",
        "192.0.2.1", "198.51.100.7", "203.0.113.5", "192.88.99.1",
        "224.0.0.1", "239.255.255.250", "0.0.0.0", "0.1.2.3", "240.0.0.1", "254.1.2.3", "255.255.255.255",
        "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "100.64.0.1", "100.127.255.254", "169.254.169.254",
        // IPv6 special-purpose blocks
        "::", "::1", "2001:db8::1", "3fff::1", "ff02::1", "ff0e::1", "fe80::1", "fe80::1%2", "fc00::1", "fd12:3456::1",
        "fec0::1", "100::1", "5f00::1", "2001:2::1",
    ];

    public static TheoryData<string> Public =>
    [
        "8.8.8.8", "1.1.1.1", "81.2.69.142", "2606:4700::1111", "2606:4700:4700::1111", "2001:4860:4860::8888",
        "::ffff:8.8.8.8",
        // just outside the special blocks
        "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1", "192.0.1.255",
        "192.0.3.1", "192.167.255.255", "192.169.0.1", "198.17.255.255", "198.20.0.1", "198.51.99.255", "203.0.112.255",
        "203.0.114.1", "223.255.255.255", "2001:200::1", "2003::1",
    ];

    [Theory]
    [MemberData(nameof(NotPublic))]
    public void SpecialAddress_IsNotPublic_AndSaysWhatItIs(string address)
    {
        Assert.False(SpecialAddresses.IsPublic(IPAddress.Parse(address)), address);
        Assert.False(string.IsNullOrEmpty(SpecialAddresses.Describe(IPAddress.Parse(address))));
    }

    [Theory]
    [MemberData(nameof(Public))]
    public void PublicUnicastAddress_IsPublic(string address) =>
        Assert.True(SpecialAddresses.IsPublic(IPAddress.Parse(address)), $"{address}: {SpecialAddresses.Describe(IPAddress.Parse(address))}");

    [Theory]
    [InlineData("::ffff:0:7f00:1", "IPv4-translated")]
    [InlineData("64:ff9b::7f00:1", "NAT64")]
    [InlineData("2002:7f00:1::1", "6to4")]
    [InlineData("2001::1", "Teredo")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("203.0.113.5", "documentation")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    public void SpecialAddress_IsNamedByItsMostSpecificBlock(string address, string name) =>
        Assert.Contains(name, SpecialAddresses.Describe(IPAddress.Parse(address))!, StringComparison.Ordinal);

    [Theory]
    [InlineData("198.18.0.1")]
    [InlineData("192.0.0.1")]
    [InlineData("2002:5102:458e::1")] // 6to4 of 81.2.69.142 (GB)
    [InlineData("64:ff9b::5102:458e")] // NAT64 of the same
    public void GeoLocator_GivesNoLocation_ToASpecialAddress(string address)
    {
        using var locator = new MaxMindGeoLocator(
            Options.Create(new GeoOptions { DatabasePath = Immutable.Tests.TestSupport.TestPaths.GeoDatabase }), TimeProvider.System, NullLogger<MaxMindGeoLocator>.Instance);
        Assert.True(locator.DatabaseLoaded);
        Assert.Equal("GB", locator.Locate(IPAddress.Parse("81.2.69.142")).CountryCode); // the database answers for public ones
        Assert.Null(locator.Locate(IPAddress.Parse(address)).CountryCode);
    }
}
