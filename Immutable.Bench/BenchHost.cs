using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Immutable.Bench;

/// <summary>
/// The app's services without HTTP, over a real SQLite file in a temp folder: for in-process benchmarks.
/// Stream detection's Quartz trigger is off; the benchmark drives the evaluators itself.
/// </summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _data;

    private BenchHost(IHost host, string data, string workspaceId)
    {
        _host = host;
        _data = data;
        WorkspaceId = workspaceId;
    }

    public IServiceProvider Services => _host.Services;
    public string WorkspaceId { get; }

    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<HostApplicationBuilder> addFeatures)
    {
        var data = Directory.CreateTempSubdirectory("immutable-bench-").FullName;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["ConnectionStrings:Default"] = $"Data Source={Path.Combine(data, "bench.db")}",
            ["Detection:StreamEvaluation"] = "false",
        });
        builder.AddStorage();
        builder.Services.AddSingleton<WorkspaceDirectory>();
        addFeatures(builder);
        var host = builder.Build();
        await host.Services.MigrateDatabaseAsync();
        await host.StartAsync();
        var workspace = await host.Services.GetRequiredService<WorkspaceDirectory>().GetOrCreateWorkspaceAsync("bench");
        return new BenchHost(host, data, workspace.Id);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }
}
