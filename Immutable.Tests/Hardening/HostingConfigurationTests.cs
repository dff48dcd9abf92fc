using System.Diagnostics;
using System.Text;
using Immutable.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Immutable.Tests.Hardening;

/// <summary>
/// Where the app listens is configured the ASP.NET Core way (ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, --urls), with
/// http://127.0.0.1:5080 only when nothing is set. The app runs as a child process, as it does in a container.
/// </summary>
public sealed class HostingConfigurationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-urls-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    /// <summary>Starts the app with no --urls and the given environment; returns once Kestrel has bound (or the app exited).</summary>
    private async Task<(Process Process, Func<string> Output)> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var info = AppProcess.StartInfo(_data);
        // Nothing inherited from the test runner may choose the address.
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "URLS", "Urls" })
            info.Environment.Remove(name);
        // Kestrel's "Now listening on" lines are what the tests read.
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (name, value) in environment) info.Environment[name] = value;

        var output = new StringBuilder();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited && !Output().Contains("Application started", StringComparison.Ordinal))
            await Task.Delay(100);
        return (process, Output);
    }

    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    private static async Task<string> HealthzAsync(string baseUrl)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync("/healthz");
    }

    [Fact]
    public async Task AspNetCoreUrls_IsWhereTheAppListens()
    {
        var port = AppProcess.FreePort();
        var (process, output) = await StartAsync(new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
        try
        {
            Assert.Contains($"Now listening on: http://127.0.0.1:{port}", output(), StringComparison.Ordinal);
            Assert.DoesNotContain(":5080", output(), StringComparison.Ordinal);
            Assert.Contains("\"ok\"", await HealthzAsync($"http://127.0.0.1:{port}"), StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(process);
        }
    }

    [Fact]
    public async Task AspNetCoreHttpPorts_IsWhereTheAppListens()
    {
        var port = AppProcess.FreePort();
        var (process, output) = await StartAsync(new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        try
        {
            Assert.Matches($@"Now listening on: http://[^\s]+:{port}\b", output());
            Assert.DoesNotContain(":5080", output(), StringComparison.Ordinal);
            Assert.Contains("\"ok\"", await HealthzAsync($"http://127.0.0.1:{port}"), StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(process);
        }
    }

    [Fact]
    public async Task NoAddressConfigured_ListensOnTheLoopbackDefault()
    {
        var (process, output) = await StartAsync(new Dictionary<string, string>());
        try
        {
            // Port 5080 may be taken on a shared machine (a developer's ./run.sh): then the app reports that it failed
            // to bind that very address, which shows the default was chosen as well as listening on it would.
            var text = output();
            if (text.Contains("Failed to bind to address http://127.0.0.1:5080", StringComparison.Ordinal)) return;
            Assert.Contains("Now listening on: http://127.0.0.1:5080", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"Now listening on: http://(?!127\.0\.0\.1:5080)", text);
            Assert.Contains("\"ok\"", await HealthzAsync("http://127.0.0.1:5080"), StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(process);
        }
    }
}
