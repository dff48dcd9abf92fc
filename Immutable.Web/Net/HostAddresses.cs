using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Immutable.Web.Net;

/// <summary>
/// The addresses of this machine's own network interfaces (a public address on an interface still reaches this host:
/// the SSRF guard refuses them). Enumerated at most once per <see cref="CacheFor"/>, since interfaces rarely change
/// and enumerating them costs a few system calls per webhook connection otherwise.
/// </summary>
public sealed class HostAddresses(TimeProvider time, Func<IEnumerable<IPAddress>> enumerate)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private sealed record Snapshot(DateTimeOffset Expires, HashSet<IPAddress> Addresses);

    private Snapshot? _snapshot;

    public HostAddresses(TimeProvider time) : this(time, EnumerateInterfaces) { }

    public bool Contains(IPAddress address)
    {
        var now = time.GetUtcNow();
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is null || now >= snapshot.Expires)
        {
            snapshot = new Snapshot(now + CacheFor, enumerate().Select(Normalize).ToHashSet());
            Volatile.Write(ref _snapshot, snapshot);
        }
        return snapshot.Addresses.Contains(Normalize(address));
    }

    /// <summary>IPv4-mapped IPv6 as IPv4, and no IPv6 scope id, so equal addresses compare equal.</summary>
    private static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }

    // No catch: if the interfaces cannot be listed, the check fails (closed) rather than letting the address through.
    private static IEnumerable<IPAddress> EnumerateInterfaces() =>
        NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address);
}
