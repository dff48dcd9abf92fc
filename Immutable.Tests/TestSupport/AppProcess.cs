using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Immutable.Tests.TestSupport;

/// <summary>The real app binary as a child process on 127.0.0.1, over a data folder the test owns.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int ProcessId => _process.Id;

    /// <summary>Resident memory of the app process (Linux /proc), in MiB.</summary>
    public double ResidentMiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string AppDll => Path.Combine(AppContext.BaseDirectory, "Immutable.Web.dll");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static ProcessStartInfo StartInfo(string dataDirectory, params string[] args) => StartInfo(dataDirectory, null, args);

    /// <param name="environment">Variables set over the defaults (a null value removes one): another store, another configuration.</param>
    public static ProcessStartInfo StartInfo(string dataDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = dataDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AppDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["ConnectionStrings__Default"] = $"Data Source={Path.Combine(dataDirectory, "immutable.db")}";
        info.Environment["Geo__DatabasePath"] = TestPaths.GeoDatabase;
        info.Environment["RateLimiting__PermitsPerSecond"] = "1000000";
        info.Environment["RateLimiting__Burst"] = "1000000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }
        return info;
    }

    /// <summary>Runs the admin command line to completion; returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(string dataDirectory, params string[] args) =>
        RunCliAsync(dataDirectory, null, args);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(dataDirectory, environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    public static Task<AppProcess> StartAsync(string dataDirectory) => StartAsync(dataDirectory, null);

    public static async Task<AppProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? environment)
    {
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var process = Process.Start(StartInfo(dataDirectory, environment, "--urls", baseUrl))!;
        var app = new AppProcess(process, baseUrl);
        process.OutputDataReceived += (_, e) => { lock (app._output) app._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (app._output) app._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) throw new InvalidOperationException($"app exited during start-up:\n{app.Output}");
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        await app.DisposeAsync();
        throw new TimeoutException($"app did not become ready:\n{app.Output}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what is on disk is all that survives.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>
/// Base of tests that drive the real app as a child process over its own data folder: a new temp folder per test
/// (<paramref name="folderPrefix"/>), the app started in it before the test, stopped and the folder deleted after.
/// </summary>
public abstract class AppProcessTest(string folderPrefix) : IAsyncLifetime
{
    protected string DataDirectory { get; } = Directory.CreateTempSubdirectory(folderPrefix).FullName;

    /// <summary>The running app; a test that prepares the folder first (e.g. with the CLI) starts it itself.</summary>
    protected AppProcess App { get; set; } = null!;

    public virtual async Task InitializeAsync() => App = await AppProcess.StartAsync(DataDirectory);

    public virtual async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
