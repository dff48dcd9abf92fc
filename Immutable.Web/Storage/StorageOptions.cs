using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Storage;

/// <summary>SQLite's durability setting for committed appends (PRAGMA synchronous).</summary>
public enum SqliteSynchronous
{
    /// <summary>WAL + NORMAL: a commit survives a process crash (kill -9); the last commits can be lost on power loss.</summary>
    Normal,
    /// <summary>WAL + FULL: the WAL is fsynced at every commit; survives power loss. Group commit keeps it affordable.</summary>
    Full,
}

/// <summary>Which database holds the store (<c>Storage:Provider</c>).</summary>
public enum StorageProvider
{
    /// <summary>The embedded default: one file, one process (<c>./run.sh</c>).</summary>
    Sqlite,
    /// <summary>PostgreSQL via Npgsql: a server that several app instances can share.</summary>
    Postgres,
}

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (default) or <c>Postgres</c>; the connection string is <c>ConnectionStrings:Default</c> either way.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The data folder (signing keys, witness files, exports, archives, Data Protection keys). Default: the SQLite
    /// file's folder, or <c>data/</c> under the working directory on PostgreSQL.
    /// </summary>
    public string? DataDirectory { get; set; }

    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>Most events one group commit may hold; bounds the latency a big batch adds to others.</summary>
    [Range(1, 100_000)]
    public int MaxEventsPerCommit { get; set; } = 2000;

    /// <summary>Appends waiting for the writer before callers are made to wait (backpressure).</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingAppends { get; set; } = 10_000;

    /// <summary>
    /// Newest committed events kept in memory (all workspaces together) for the workers that follow the chain right
    /// behind ingest; 0 turns it off (they read everything back from the store). About 1–2 KB each.
    /// </summary>
    [Range(0, 1_000_000)]
    public int CommittedTailEvents { get; set; } = 20_000;

    /// <summary>
    /// Bytes (estimated: strings as UTF-16 plus object overhead) the kept events may take in all; big events (64 KB of
    /// metadata each) are kept fewer. 0 turns the memory off.
    /// </summary>
    [Range(0, 4L * 1024 * 1024 * 1024)]
    public long CommittedTailBytes { get; set; } = 64L * 1024 * 1024;
}
