using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Immutable.Web.Storage;

/// <summary>The store cannot take writes (disk full, read-only, I/O error): the request may succeed later.</summary>
public sealed class StorageUnavailableException(string reason, Exception inner)
    : Exception($"The store cannot take writes ({reason}).", inner)
{
    public string Reason { get; } = reason;
}

/// <summary>Tells a fault of the storage medium from a bug: only the former is worth a retry.</summary>
public static class StorageFaults
{
    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CantOpen = 14, NotADatabase = 26;

    /// <summary>"disk_full", "read_only", "io_error", "cannot_open", "not_a_database", "unreachable" (PostgreSQL), or null when it is no storage fault.</summary>
    public static string? Classify(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException unavailable) return unavailable.Reason;
            if (e is SqliteException sqlite)
                return (sqlite.SqliteErrorCode & 0xFF) switch
                {
                    Full => "disk_full",
                    ReadOnly => "read_only",
                    IoError => "io_error",
                    CantOpen => "cannot_open",
                    NotADatabase or Corrupt => "not_a_database",
                    _ => null,
                };
            // PostgreSQL error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
            if (e is PostgresException pg)
                return pg.SqlState switch
                {
                    PostgresErrorCodes.DiskFull or PostgresErrorCodes.InsufficientResources or PostgresErrorCodes.OutOfMemory => "disk_full",
                    PostgresErrorCodes.ReadOnlySqlTransaction => "read_only",
                    PostgresErrorCodes.IoError => "io_error",
                    PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => "cannot_open",
                    PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                        or PostgresErrorCodes.TooManyConnections => "unreachable",
                    _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => "unreachable",
                    _ => null,
                };
            // No answer from the server at all (refused, reset, timed out).
            if (e is NpgsqlException) return "unreachable";
            if (e is IOException io && io.HResult == 28 /* ENOSPC */) return "disk_full";
        }
        return null;
    }

    /// <summary>SQLite's code says little about why a file does not open; the file system says more.</summary>
    public static string DescribeAtStart(string path, string reason)
    {
        if (Directory.Exists(path)) return "the database path is a directory, not a file";
        if (reason is "cannot_open" or "read_only" or "io_error" && File.Exists(path))
        {
            try
            {
                using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                return Describe("read_only");
            }
        }
        return Describe(reason);
    }

    public static string Describe(string reason) => reason switch
    {
        "disk_full" => "the disk is full",
        "read_only" => "the database file or its folder is read-only",
        "io_error" => "the disk reported an I/O error",
        "cannot_open" => "the database file cannot be opened (missing folder, a directory in its place, or no permission)",
        "not_a_database" => "the file is not a SQLite database (or is corrupt)",
        "unreachable" => "the database server cannot be reached",
        _ => reason,
    };
}

/// <summary>
/// Whether writes currently fail for a storage reason (reported by the writers, cleared by the next successful
/// commit or by /readyz's probe), so readiness says so while it lasts and recovers by itself when it ends.
/// </summary>
public sealed class StorageHealth(TimeProvider time)
{
    private volatile Fault? _fault;

    public sealed record Fault(string Reason, DateTimeOffset Since);

    public Fault? Current => _fault;

    public void ReportFailure(string reason) => _fault ??= new Fault(reason, time.GetUtcNow());

    public void ReportSuccess()
    {
        if (_fault is not null) _fault = null;
    }

    /// <summary>
    /// A write that changes nothing: rewrites SQLite's application header field (<c>user_version</c>, unused by EF Core)
    /// with its own value, which still appends a frame to the WAL, so it fails exactly while commits would.
    /// </summary>
    public static async Task<bool> ProbeWriteAsync(ImmutableDbContext db, CancellationToken ct)
    {
        try
        {
            await WriteProbeAsync(db, ct);
            return true;
        }
        catch (Exception ex) when (StorageFaults.Classify(ex) is not null)
        {
            return false;
        }
    }

    /// <summary>The probe write; throws what the store throws. On PostgreSQL: a statement that needs a transaction id.</summary>
    public static async Task WriteProbeAsync(ImmutableDbContext db, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        if (db.IsPostgres())
        {
            command.CommandText = PostgresSql.WriteProbe;
            await command.ExecuteScalarAsync(ct);
            return;
        }
        command.CommandText = SqlitePragmas.ReadUserVersion;
        var version = Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = SqlitePragmas.WriteUserVersion(version);
        await command.ExecuteNonQueryAsync(ct);
    }
}

public static class UniqueViolation
{
    /// <summary>True when a save failed only because a unique index already holds the row (another writer got there first).</summary>
    public static bool Is(Microsoft.EntityFrameworkCore.DbUpdateException ex) =>
        ex.InnerException is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }
            or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
