using System.Net;
using System.Net.Sockets;

namespace Immutable.Web.Net;

/// <summary>
/// The one table of addresses that are not public unicast Internet addresses: geo enrichment gives them no location,
/// and the webhook SSRF guard refuses them.
/// Invariant: an address is public only if no entry below contains it. IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>) is
/// judged by its IPv4 address; every other IPv6 form that embeds or tunnels to an IPv4 address (IPv4-compatible,
/// IPv4-translated, NAT64, 6to4, Teredo) is refused whole, since where it leads depends on a gateway we cannot see;
/// and IPv6 outside 2000::/3, the only global unicast block, is never public.
/// Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates), plus multicast.
/// </summary>
public static class SpecialAddresses
{
    // More specific entries come first, so the name given for an address is the most precise one.
    private static readonly (IPNetwork Network, string Name)[] V4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared carrier-grade NAT (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignment (192.0.0.0/24)"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation (TEST-NET-1)"),
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay anycast (deprecated)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private (RFC 1918)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation (TEST-NET-2)"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation (TEST-NET-3)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    ];

    private static readonly (IPNetwork Network, string Name)[] V6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::/96"), "IPv4-compatible IPv6 (deprecated)"),
        (IPNetwork.Parse("::ffff:0:0:0/96"), "IPv4-translated IPv6"),
        (IPNetwork.Parse("64:ff9b::/96"), "NAT64 (64:ff9b::/96)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
        (IPNetwork.Parse("100::/64"), "discard-only (100::/64)"),
        (IPNetwork.Parse("2001::/32"), "Teredo (2001::/32)"),
        (IPNetwork.Parse("2001::/23"), "IETF protocol assignment (2001::/23)"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation (2001:db8::/32)"),
        (IPNetwork.Parse("2002::/16"), "6to4 (2002::/16)"),
        (IPNetwork.Parse("3fff::/20"), "documentation (3fff::/20)"),
        (IPNetwork.Parse("5f00::/16"), "segment routing (5f00::/16)"),
        (IPNetwork.Parse("fc00::/7"), "unique local (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local (deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>True for a public unicast address (one that can have a location and may receive webhooks).</summary>
    public static bool IsPublic(IPAddress address) => Describe(address) is null;

    /// <summary>What kind of special address this is ("loopback", "documentation (TEST-NET-1)"...), or null when public.</summary>
    public static string? Describe(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        switch (address.AddressFamily)
        {
            case AddressFamily.InterNetwork:
                foreach (var (network, name) in V4)
                    if (network.Contains(address)) return name;
                return null;
            case AddressFamily.InterNetworkV6:
                // A scope id (fe80::1%eth0) does not change which block the address is in.
                if (address.ScopeId != 0) address = new IPAddress(address.GetAddressBytes());
                foreach (var (network, name) in V6)
                    if (network.Contains(address)) return name;
                return GlobalUnicast.Contains(address) ? null : "not global unicast (outside 2000::/3)";
            default:
                return "not an IP address";
        }
    }
}
