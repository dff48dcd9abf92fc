using Microsoft.Data.Sqlite;

namespace Immutable.Web.Storage;

/// <summary>The connection string of the embedded store, resolved once (data folder created).</summary>
public sealed record SqliteConnectionString(string Value);

public static class SqlitePragmas
{
    /// <summary>
    /// WAL lets readers run beside the one writer. synchronous=NORMAL in WAL mode makes a commit durable
    /// against process crashes (the WAL write reaches the OS before COMMIT returns); FULL also fsyncs it,
    /// for power-loss safety. See README "Durability".
    /// </summary>
    public static void Apply(SqliteConnection connection, SqliteSynchronous synchronous)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")};
            PRAGMA busy_timeout = 10000;
            PRAGMA foreign_keys = ON;
            """;
        command.ExecuteNonQuery();
    }
}
