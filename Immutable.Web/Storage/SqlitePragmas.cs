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
    /// <param name="writer">
    /// The chain writer's connection: a 64 MB page cache (the events table's eight indexes stay in memory instead of being
    /// re-read through system calls on every insert) and no automatic checkpoints, which would otherwise run inside
    /// its commits (a checkpoint copies the WAL into the database and fsyncs it); <see cref="WalCheckpointer"/> does
    /// that work on its own connection instead.
    /// </param>
    public static void Apply(SqliteConnection connection, SqliteSynchronous synchronous, bool writer = false)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")};
            PRAGMA busy_timeout = 10000;
            PRAGMA foreign_keys = ON;
            {(writer ? "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;" : "")}
            """;
        command.ExecuteNonQuery();
    }
}
