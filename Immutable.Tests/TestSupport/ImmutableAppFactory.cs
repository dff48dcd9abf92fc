using System.Net;
using System.Net.Http.Headers;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// The real host over a real SQLite file in its own temp folder (or, on PostgreSQL, a database of its own on the
/// test server, see <see cref="TestPostgres"/>), the real GeoLite2 database, and a fake clock.
/// Tests set peers with the X-Test-Peer header (TestServer has no TCP peer of its own).
/// </summary>
public class ImmutableAppFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);

    private readonly bool _ownsDataDirectory;

    public ImmutableAppFactory() : this(null, null) { }

    /// <param name="dataDirectory">An existing data folder to reuse (a restarted host); null for a new temp folder.</param>
    /// <param name="start">Where the fake clock starts.</param>
    /// <param name="provider">The store; by default SQLite, or PostgreSQL in ./test.sh's PostgreSQL run.</param>
    /// <param name="postgresDatabase">On PostgreSQL, an existing database to share (a second instance); null for the data folder's own.</param>
    internal ImmutableAppFactory(string? dataDirectory, DateTimeOffset? start = null, StorageProvider? provider = null, string? postgresDatabase = null)
    {
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("immutable-test-").FullName;
        DatabasePath = Path.Combine(DataDirectory, "immutable.db");
        Time = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 3, 27, 14, 0, 0, TimeSpan.Zero));
        Provider = provider ?? TestPostgres.DefaultProvider;
        if (Provider == StorageProvider.Postgres)
        {
            // The data folder remembers its database, so a host restarted on the same folder finds the same events.
            var marker = Path.Combine(DataDirectory, "postgres-database.txt");
            _ownsPostgresDatabase = postgresDatabase is null && !File.Exists(marker);
            PostgresConnectionString = postgresDatabase ?? (File.Exists(marker) ? File.ReadAllText(marker) : TestPostgres.CreateDatabase());
            if (postgresDatabase is null) File.WriteAllText(marker, PostgresConnectionString);
            _settings["Storage:Provider"] = "Postgres";
            _settings["Storage:DataDirectory"] = DataDirectory;
            _settings["ConnectionStrings:Default"] = PostgresConnectionString;
        }
        else
        {
            _settings["ConnectionStrings:Default"] = $"Data Source={DatabasePath}";
        }
        _settings["Geo:DatabasePath"] = TestPaths.GeoDatabase;
        // Scheduled rules are run explicitly by the tests that need them (with the fake clock), not by the timer.
        _settings["Detection:ScheduledRulesSeconds"] = "3600";
        _settings["Detection:SafetyNetSeconds"] = "1";
        _settings["Monitors:EvaluationSeconds"] = "3600";
    }

    public string DataDirectory { get; }
    public string DatabasePath { get; }
    public StorageProvider Provider { get; }

    /// <summary>The host's own database on the test server (PostgreSQL only).</summary>
    public string? PostgresConnectionString { get; }

    private readonly bool _ownsPostgresDatabase;
    public FakeTimeProvider Time { get; }

    /// <summary>Overrides a configuration value; call before the first client is created.</summary>
    public ImmutableAppFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Email goes to the test's SMTP server process, in plain text on loopback.</summary>
    public ImmutableAppFactory WithSmtp(SmtpServer smtp) =>
        With("Email:Host", "127.0.0.1").With("Email:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).With("Email:Security", "None");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Testing");
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IStartupFilter, TestPeerStartupFilter>();
            services.AddQuartz(q => q.AddJobListener(_startupJobs));
        });
    }

    private readonly StartupJobs _startupJobs = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        if (!_startupJobs.Ended.Wait(TimeSpan.FromSeconds(60)))
            throw new TimeoutException("the evaluation jobs' first firing at start did not end within 60 s");
        return host;
    }

    /// <summary>A client of a new workspace (or the named one), authenticated with a fresh key.</summary>
    public async Task<HttpClient> CreateWorkspaceClientAsync(string workspace = "acme")
    {
        var key = await CreateKeyAsync(workspace);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public Task<CreatedKey> CreateKeyAsync(string workspace = "acme", string label = "test") =>
        Services.GetRequiredService<WorkspaceDirectory>().CreateKeyAsync(workspace, label);

    /// <summary>A direct connection to the SQLite file, as an attacker with file access would have.</summary>
    public SqliteConnection OpenDatabase()
    {
        if (Provider != StorageProvider.Sqlite)
            throw new InvalidOperationException("OpenDatabase opens the SQLite file; a test using it is SQLite-only: mark it [Trait(\"SqliteOnly\", \"true\")].");
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>
    /// A direct connection to the store whichever it is (the SQLite file or the host's PostgreSQL database), for SQL
    /// both understand: tampering as someone with database access would, or a count behind the app's back.
    /// </summary>
    public System.Data.Common.DbConnection OpenStore()
    {
        if (Provider == StorageProvider.Sqlite) return OpenDatabase();
        var connection = new Npgsql.NpgsqlConnection(PostgresConnectionString);
        connection.Open();
        return connection;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (_ownsPostgresDatabase && _ownsDataDirectory && PostgresConnectionString is not null) TestPostgres.DropDatabase(PostgresConnectionString);
        if (!_ownsDataDirectory) return;
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    private sealed class TestPeerStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue("X-Test-Peer", out var peer))
                    context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                return nextMiddleware(context);
            });
            next(app);
            // After the app's own pipeline, so the app's exception handler is around it.
            app.Map("/__test/throw", branch => branch.Run(_ => throw new InvalidOperationException("boom: secret stack detail")));
        };
    }
}

public static class TestPaths
{
    /// <summary>test.sh exports IMMUTABLE_GEO_DB; otherwise the repository's .cache copy is used.</summary>
    public static string GeoDatabase =>
        Environment.GetEnvironmentVariable("IMMUTABLE_GEO_DB") is { Length: > 0 } path
            ? path
            : Path.Combine(RepositoryRoot, ".cache", "geo", "GeoLite2-City.mmdb");

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Immutable.Web.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
        }
    }
}

public static class IntegrityTestExtensions
{
    /// <summary>
    /// Makes sure a signed checkpoint covers the workspace's head: writes one now, unless the background worker (woken by
    /// the same events) already did. Returns the checkpoint's sequence.
    /// </summary>
    public static async Task<long> CheckpointHeadAsync(this ImmutableAppFactory app, string workspaceId)
    {
        await app.Services.GetRequiredService<Immutable.Web.Integrity.CheckpointWriter>().WriteIfDueAsync(workspaceId, force: true, CancellationToken.None);
        var factory = app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var head = db.Events.Where(e => e.WorkspaceId == workspaceId).Max(e => e.Sequence);
        var signed = db.Checkpoints.Where(c => c.WorkspaceId == workspaceId).Max(c => (long?)c.Sequence);
        Assert.Equal(head, signed);
        return head;
    }
}
