using Microsoft.Data.Sqlite;

namespace Immutable.Web.Storage;

/// <summary>The connection string of the embedded store, resolved once (data folder created).</summary>
public sealed record SqliteConnectionString(string Value);

/// <summary>Every SQLite PRAGMA the app issues, in one place.</summary>
public static class SqlitePragmas
{
    /// <summary>
    /// WAL lets readers run beside the one writer; it is a persistent property of the file, set at migration and again
    /// by the connections that need it before their first write.
    /// </summary>
    public const string JournalModeWal = "PRAGMA journal_mode = WAL;";

    /// <summary>Copies committed WAL pages into the database file without blocking the writer or readers.</summary>
    public const string PassiveCheckpoint = "PRAGMA wal_checkpoint(PASSIVE);";

    /// <summary>
    /// Per connection (PRAGMAs do not persist): synchronous=NORMAL in WAL mode makes a commit durable against process
    /// crashes (the WAL write reaches the OS before COMMIT returns); FULL also fsyncs it, for power-loss safety
    /// (README "Durability"). A busy timeout, and foreign keys on.
    /// </summary>
    public static string PerConnection(SqliteSynchronous synchronous) =>
        $"PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

    /// <summary>
    /// The chain writer's connection: a 64 MB page cache (the events table's eight indexes stay in memory instead of being
    /// re-read through system calls on every insert). Its automatic checkpoints stay on (only the one writer can reset
    /// the WAL without stalling), but <see cref="WalCheckpointer"/> copies most pages beforehand on its own connection,
    /// so the checkpoint inside a commit has little left to do; the WAL file is cut back to 64 MB when reset.
    /// </summary>
    private const string WriterCache = "PRAGMA cache_size = -65536; PRAGMA journal_size_limit = 67108864;";

    /// <summary>The application header field (unused by EF Core) that the write probe rewrites with its own value.</summary>
    public const string ReadUserVersion = "SELECT user_version FROM pragma_user_version";

    /// <summary>PRAGMA takes no parameters; the value is an integer.</summary>
    public static string WriteUserVersion(long version) =>
        "PRAGMA user_version = " + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sets up a connection opened outside EF Core (WAL, <see cref="PerConnection"/>, and the writer's cache).</summary>
    public static void Apply(SqliteConnection connection, SqliteSynchronous synchronous, bool writer = false)
    {
        using var command = connection.CreateCommand();
        command.CommandText = JournalModeWal + " " + PerConnection(synchronous) + (writer ? " " + WriterCache : "");
        command.ExecuteNonQuery();
    }
}
