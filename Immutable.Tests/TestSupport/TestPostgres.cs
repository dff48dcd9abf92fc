using Immutable.Web.Storage;
using Npgsql;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// The throwaway PostgreSQL server that ./test.sh starts (scripts/test-postgres.sh): its connection string comes in
/// <c>IMMUTABLE_TEST_POSTGRES</c>, and every host gets a database of its own on it (<c>t_&lt;guid&gt;</c>).
/// ./test.sh also sets <c>IMMUTABLE_REQUIRE_POSTGRES=1</c>, so a missing server fails the PostgreSQL tests there
/// instead of skipping them; a developer running <c>dotnet test</c> without a server sees them skipped.
/// With <c>IMMUTABLE_TEST_PROVIDER=Postgres</c> (./test.sh's second run), <see cref="ImmutableAppFactory"/> puts
/// every host on PostgreSQL: the suites marked <c>[Trait("Postgres", "run")]</c> run there a second time.
/// </summary>
public static class TestPostgres
{
    public const string ServerVariable = "IMMUTABLE_TEST_POSTGRES";
    public const string RequireVariable = "IMMUTABLE_REQUIRE_POSTGRES";
    public const string ProviderVariable = "IMMUTABLE_TEST_PROVIDER";

    public static string? ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value ? value : null;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>The provider a host gets when the test does not say: PostgreSQL in ./test.sh's PostgreSQL run.</summary>
    public static StorageProvider DefaultProvider =>
        string.Equals(Environment.GetEnvironmentVariable(ProviderVariable), "Postgres", StringComparison.OrdinalIgnoreCase)
            ? StorageProvider.Postgres
            : StorageProvider.Sqlite;

    public static string Server => ServerConnectionString
        ?? throw new InvalidOperationException($"This test needs PostgreSQL: {ServerVariable} is not set (./test.sh starts a throwaway server and sets it; see scripts/test-postgres.sh).");

    /// <summary>A new empty database on the test server; returns its connection string.</summary>
    public static string CreateDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(Server))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }

    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        if (!name.StartsWith("t_", StringComparison.Ordinal)) throw new InvalidOperationException("Only test databases are dropped.");
        using var connection = new NpgsqlConnection(Server);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS {name} WITH (FORCE)";
        command.ExecuteNonQuery();
    }
}

/// <summary>A test that needs PostgreSQL: skipped without a server outside ./test.sh, failed without one inside it.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestPostgres.ServerConnectionString is null && !TestPostgres.Required)
            Skip = $"needs PostgreSQL: set {TestPostgres.ServerVariable} (./test.sh starts a throwaway server)";
    }
}
