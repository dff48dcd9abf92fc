using Immutable.Web.Incidents;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
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
    private readonly bool _keepData;

    private BenchHost(IHost host, string data, bool keepData, string workspaceId)
    {
        _host = host;
        _data = data;
        _keepData = keepData;
        WorkspaceId = workspaceId;
    }

    public string DatabasePath => Path.Combine(_data, "immutable.db");

    public IServiceProvider Services => _host.Services;
    public string WorkspaceId { get; }

    /// <param name="dataDirectory">A folder to keep (e.g. to seed a database the app then serves); null: a temp folder, deleted on dispose.</param>
    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<HostApplicationBuilder> addFeatures,
        string? dataDirectory = null, string workspace = "bench")
    {
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("immutable-bench-").FullName;
        Directory.CreateDirectory(data);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var configuration = new Dictionary<string, string?>(settings) { ["Detection:StreamEvaluation"] = "false" };
        configuration.TryAdd("ConnectionStrings:Default", $"Data Source={Path.Combine(data, "immutable.db")}"); // unless given (PostgreSQL)
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddPublicUrl();
        builder.AddDomainEvents();
        builder.AddStorage();
        builder.Services.AddSingleton<WorkspaceDirectory>();
        builder.AddIncidents(); // detection and monitors put their findings in incidents as they save them
        addFeatures(builder);
        var host = builder.Build();
        await host.Services.MigrateDatabaseAsync();
        await host.StartAsync();
        var created = await host.Services.GetRequiredService<WorkspaceDirectory>().GetOrCreateWorkspaceAsync(workspace);
        return new BenchHost(host, data, dataDirectory is not null, created.Id);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (!_keepData) Directory.Delete(_data, recursive: true);
    }
}
