using System.Net;
using System.Net.Sockets;
using Immutable.Web.Enrichment;
using Immutable.Web.Net;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// SSRF guard for webhook URLs.
/// Invariant: we only ever connect to an http(s) URL whose host resolves — at save time and again at connect
/// time, since DNS can change — to public unicast addresses (<see cref="SpecialAddresses"/>) that are not this
/// host's own, on port 80, 443 or one in <c>Webhooks:AllowedPorts</c>; unless the operator allowed the host name
/// or the address's network in <c>Webhooks:AllowedPrivateHosts</c>, which then allows any port on it.
/// Redirects are never followed (a public URL could redirect inward), and the connection goes to one of the
/// addresses checked here, never to a second resolution.
/// </summary>
public sealed class WebhookUrlGuard(IOptions<WebhookOptions> options, HostAddresses hostAddresses)
{
    private static readonly int[] StandardPorts = [80, 443];

    /// <summary>Checks a URL to be saved; returns the reason it is refused, or null.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "must be an absolute http or https URL";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not contain credentials";
        if (url.Length > 2048) return "must be at most 2048 characters";
        try
        {
            var addresses = await ResolveAsync(uri.IdnHost, uri.Port, ct);
            return addresses.Length == 0 ? "does not resolve to any address" : null;
        }
        catch (SocketException)
        {
            return "does not resolve (DNS lookup failed)";
        }
        catch (BlockedAddressException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The addresses a connection to host:port may use, or an exception naming the refused one.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, int port, CancellationToken ct)
    {
        host = host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowedHost = options.Value.AllowedPrivateHosts.Any(h => string.Equals(h.Trim('[', ']'), host, StringComparison.OrdinalIgnoreCase));
        foreach (var address in addresses)
            if (Refusal(address, port, allowedHost) is { } reason) throw new BlockedAddressException(reason);
        return addresses;
    }

    private string? Refusal(IPAddress address, int port, bool allowedHost)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (allowedHost || IsAllowedNetwork(a)) return null; // the operator's own receiver: any address kind, any port
        if (SpecialAddresses.Describe(a) is { } kind)
            return $"resolves to {a}, a {kind} address (allow it in Webhooks:AllowedPrivateHosts)";
        if (hostAddresses.Contains(a))
            return $"resolves to {a}, an address of this host (allow it in Webhooks:AllowedPrivateHosts)";
        if (!StandardPorts.Contains(port) && !options.Value.AllowedPorts.Contains(port))
            return $"uses port {port}: only 80, 443 and the ports in Webhooks:AllowedPorts are allowed";
        return null;
    }

    private bool IsAllowedNetwork(IPAddress address) =>
        options.Value.AllowedPrivateHosts.Any(entry => EnrichmentExtensions.TryParseNetwork(entry, out var network) && network.Contains(address));

    /// <summary>For the HTTP handler: resolve, check, and connect to a checked address only.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

public sealed class BlockedAddressException(string message) : Exception(message);
