using Immutable.Web.Storage;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// The throwaway Redis server that ./test.sh starts for its PostgreSQL run (scripts/test-redis.sh): its address comes
/// in <c>IMMUTABLE_TEST_REDIS</c> (<c>127.0.0.1:port</c>). Tests of several instances share it, each with a channel
/// prefix of its own.
/// </summary>
public static class TestRedis
{
    public const string ServerVariable = "IMMUTABLE_TEST_REDIS";

    public static string? ServerAddress =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value ? value : null;

    public static string Server => ServerAddress
        ?? throw new InvalidOperationException($"This test needs Redis: {ServerVariable} is not set (./test.sh starts a throwaway server for its PostgreSQL run; see scripts/test-redis.sh).");
}

/// <summary>
/// A test of two app instances over one PostgreSQL database (and one Redis): runs in ./test.sh's PostgreSQL run
/// (<c>IMMUTABLE_TEST_PROVIDER=Postgres</c>, where it fails without the servers); skipped in the SQLite run and in a
/// developer's plain <c>dotnet test</c>.
/// </summary>
public sealed class TwoHostsFactAttribute : FactAttribute
{
    public TwoHostsFactAttribute()
    {
        if (TestPostgres.DefaultProvider != StorageProvider.Postgres)
            Skip = $"two instances over one PostgreSQL and one Redis: runs in ./test.sh's PostgreSQL run ({TestPostgres.ProviderVariable}=Postgres)";
        else if ((TestPostgres.ServerConnectionString is null || TestRedis.ServerAddress is null) && !TestPostgres.Required)
            Skip = $"needs PostgreSQL and Redis: set {TestPostgres.ServerVariable} and {TestRedis.ServerVariable} (./test.sh starts throwaway servers)";
    }
}
