using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Immutable.Tests.Hardening;

/// <summary>
/// A hostile webhook receiver on 127.0.0.1 (a raw socket, no framework): it answers 200 with a 200 MiB body, or a
/// chunked body that never ends, and counts what it managed to write before the client dropped the connection.
/// </summary>
public sealed class HostilePeer : IAsyncDisposable
{
    public const long HugeBody = 200L * 1024 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _bytesWritten;
    private int _connections;
    private int _dropped;

    public HostilePeer(bool endless)
    {
        Endless = endless;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public bool Endless { get; }
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);
    public int Connections => Volatile.Read(ref _connections);
    /// <summary>Connections the client closed before the body was complete.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            // Read the request head and body (the app's payload is small); then answer.
            var buffer = new byte[64 * 1024];
            var head = new StringBuilder();
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) return;
                head.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
            var header = Endless
                ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                : $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {HugeBody}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(header), _stop.Token);
            var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            var chunkHeader = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
            var crlf = "\r\n"u8.ToArray();
            long sent = 0;
            while (Endless || sent < HugeBody)
            {
                if (Endless) await stream.WriteAsync(chunkHeader, _stop.Token);
                await stream.WriteAsync(chunk, _stop.Token);
                if (Endless) await stream.WriteAsync(crlf, _stop.Token);
                sent += chunk.Length;
                Interlocked.Add(ref _bytesWritten, chunk.Length);
            }
        }
        catch (IOException) { Interlocked.Increment(ref _dropped); }
        catch (SocketException) { Interlocked.Increment(ref _dropped); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting; } catch (Exception) { }
        _stop.Dispose();
    }
}
