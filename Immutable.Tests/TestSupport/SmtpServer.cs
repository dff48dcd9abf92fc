using System.Diagnostics;
using System.Text;

namespace Immutable.Tests.TestSupport;

/// <summary>A real SMTP server process (Debian's python3-aiosmtpd, installed by test.sh) that prints what it receives.</summary>
public sealed class SmtpServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SmtpServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpServer> StartAsync()
    {
        var port = AppProcess.FreePort();
        // -u: unbuffered, so each message is readable as soon as it is printed.
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-u", "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start aiosmtpd");
        var server = new SmtpServer(process, port);
        process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (System.Net.Sockets.SocketException)
            {
                if (process.HasExited) throw new InvalidOperationException("aiosmtpd exited: " + server.Output + " (test.sh installs python3-aiosmtpd)");
                await Task.Delay(100);
            }
        }
        throw new TimeoutException("aiosmtpd did not listen");
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The messages received so far, each as printed (headers, blank line, body).</summary>
    public IReadOnlyList<string> Messages => Output.Split("---------- MESSAGE FOLLOWS ----------", StringSplitOptions.RemoveEmptyEntries)
        .Where(m => m.Contains("END MESSAGE", StringComparison.Ordinal)).ToList();

    public async Task<IReadOnlyList<string>> WaitForMessagesAsync(int count, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (Messages.Count < count && clock.ElapsedMilliseconds < timeoutMs) await Task.Delay(50);
        Assert.True(Messages.Count >= count, $"expected {count} message(s), got {Messages.Count}: {Output}");
        return Messages;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
