using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Storage;

/// <summary>
/// Moves WAL checkpoints off the chain writer's commit path: every second, a PASSIVE checkpoint on its own connection
/// copies committed WAL pages into the database file without blocking the writer or readers. Under steady reads the
/// WAL may never be reset by that alone, so once it holds more than <see cref="TruncateAfterPages"/> pages a TRUNCATE
/// checkpoint waits for the readers of the moment, resets the file and lets the writer go on (a pause of milliseconds).
/// </summary>
public sealed partial class WalCheckpointer(SqliteConnectionString connectionString, IOptions<StorageOptions> options, TimeProvider time, ILogger<WalCheckpointer> logger)
    : BackgroundService
{
    /// <summary>16 MB of 4 KB pages.</summary>
    public const int TruncateAfterPages = 4096;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = new SqliteConnection(connectionString.Value);
        await connection.OpenAsync(stoppingToken);
        SqlitePragmas.Apply(connection, options.Value.Synchronous);
        await using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        await using var truncate = connection.CreateCommand();
        truncate.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                await using var result = await checkpoint.ExecuteReaderAsync(stoppingToken);
                var walPages = await result.ReadAsync(stoppingToken) ? result.GetInt64(1) : 0;
                await result.DisposeAsync();
                if (walPages > TruncateAfterPages) await truncate.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (OperationCanceledException) { break; }
            catch (SqliteException ex)
            {
                LogCheckpointFailed(ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "WAL checkpoint failed; retrying in a second.")]
    private partial void LogCheckpointFailed(Exception ex);
}
