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
    /// re-read through system calls on every insert). Its automatic checkpoints stay on (only the one writer can reset
    /// the WAL without stalling), but <see cref="WalCheckpointer"/> copies most pages beforehand on its own connection,
    /// so the checkpoint inside a commit has little left to do; the WAL file is cut back to 64 MB when reset.
    /// </param>
    public static void Apply(SqliteConnection connection, SqliteSynchronous synchronous, bool writer = false)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")};
            PRAGMA busy_timeout = 10000;
            PRAGMA foreign_keys = ON;
            {(writer ? "PRAGMA cache_size = -65536; PRAGMA journal_size_limit = 67108864;" : "")}
            """;
        command.ExecuteNonQuery();
    }
}
