using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Npgsql;

namespace Immutable.Tests.Web.MultiInstance;

/// <summary>
/// Two real app processes (the built Immutable.Web.dll, as deployed) sharing one PostgreSQL database on ./test.sh's
/// throwaway server, its throwaway Redis, one data folder and one real SMTP server, configured with
/// deploy/instance.env's variables.
/// Instance A can be killed (SIGKILL) and started again on the same configuration.
/// </summary>
public sealed partial class TwoInstances : IAsyncLifetime
{
    private string? _database;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("immutable-cluster-").FullName;
    public string ConnectionString => _database ?? throw new InvalidOperationException("not started");
    public IReadOnlyDictionary<string, string?> Environment { get; private set; } = new Dictionary<string, string?>();
    public SmtpServer Smtp { get; private set; } = null!;
    public AppProcess A { get; private set; } = null!;
    public AppProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (MultiInstanceFactAttribute.SkipReason is not null) return; // the tests skip; start nothing
        _database = TestPostgres.CreateDatabase();
        Smtp = await SmtpServer.StartAsync();
        Environment = DeployEnvironment.Load()
            .With("ConnectionStrings__Default", _database)
            .With("Storage__DataDirectory", DataDirectory)
            .With("Geo__DatabasePath", TestPaths.GeoDatabase)
            // ./test.sh's throwaway Redis (its PostgreSQL run starts one); without it, live pushes cross through PostgreSQL only.
            .With("Redis__ConnectionString", TestRedis.ServerAddress)
            .With("Email__Host", "127.0.0.1")
            .With("Email__Port", Smtp.Port.ToString(CultureInfo.InvariantCulture))
            .With("Email__Security", "None")
            .With("Logging__LogLevel__Default", "Warning")
            .WithTestOnly("Webhooks__AllowedPrivateHosts__0", "127.0.0.1")
            .Variables;
        // One after the other: the first start creates the signing key in the shared data folder.
        A = await AppProcess.StartAsync(DataDirectory, Environment);
        B = await AppProcess.StartAsync(DataDirectory, Environment);
    }

    /// <summary>SIGKILL instance A (no shutdown, its leases and connections die with it) and start it again.</summary>
    public void KillA() => A.KillHard();

    public async Task RestartAAsync()
    {
        await A.DisposeAsync();
        A = await AppProcess.StartAsync(DataDirectory, Environment);
    }

    /// <summary>The admin command line on the same configuration (a third process on the shared database).</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var (code, stdout, stderr) = await AppProcess.RunCliAsync(DataDirectory, Environment, args);
        Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}: {stderr}");
        return stdout + "\n" + stderr;
    }

    /// <summary>A new workspace with one API key (created by the command line): its id and the key.</summary>
    public async Task<(string WorkspaceId, string Key)> CreateWorkspaceAsync(string name)
    {
        var (code, key, stderr) = await AppProcess.RunCliAsync(DataDirectory, Environment, "keys", "create", "--workspace", name, "--label", "cluster");
        Assert.True(code == 0, stderr);
        return (WorkspaceIdPattern().Match(stderr).Groups[1].Value, key);
    }

    [GeneratedRegex(@"\(([^()\s]+)\)\. It is shown once")]
    private static partial Regex WorkspaceIdPattern();

    public static HttpClient Client(AppProcess instance, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(instance.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public NpgsqlConnection OpenDatabase()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = OpenDatabase();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        Smtp?.Dispose();
        if (_database is not null) TestPostgres.DropDatabase(_database);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// A test over two real app processes on PostgreSQL: runs in ./test.sh's PostgreSQL run
/// (<c>IMMUTABLE_TEST_PROVIDER=Postgres</c>, <c>--filter Postgres=run</c>), skipped on SQLite (one process per file).
/// </summary>
public sealed class MultiInstanceFactAttribute : FactAttribute
{
    public MultiInstanceFactAttribute()
    {
        if (SkipReason is { } reason) Skip = reason;
    }

    public static string? SkipReason =>
        TestPostgres.DefaultProvider != StorageProvider.Postgres
            ? $"several instances need PostgreSQL: runs with {TestPostgres.ProviderVariable}=Postgres (./test.sh's PostgreSQL run)"
            : TestPostgres.ServerConnectionString is null && !TestPostgres.Required
                ? $"needs PostgreSQL: set {TestPostgres.ServerVariable} (./test.sh starts a throwaway server)"
                : null;
}
