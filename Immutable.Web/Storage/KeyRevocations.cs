using Microsoft.Data.Sqlite;
using Npgsql;

namespace Immutable.Web.Storage;

/// <summary>
/// How many API keys have ever been revoked, read with one cheap statement: the version a cached key answer is checked
/// against on every request (<see cref="Immutable.Web.Auth.ApiKeyCache"/>). A revocation by any process — this one, another
/// instance, the CLI, a hand-made SQL update — raises it, because a revoked row is never deleted nor un-revoked.
/// On SQLite one connection stays open with the statement prepared, used under a lock (a count over a table of a few
/// rows: microseconds); on PostgreSQL, the pooled data source (one round trip, as the lookup it replaces).
/// </summary>
public sealed class KeyRevocations(IServiceProvider services) : IDisposable
{
    private const string Sql = "SELECT COUNT(revoked_at) FROM api_keys";

    private readonly Lock _gate = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _command;
    private bool _disposed;

    public async ValueTask<long> CountAsync(CancellationToken ct)
    {
        if (services.GetService<NpgsqlDataSource>() is { } postgres)
        {
            await using var command = postgres.CreateCommand(Sql);
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (_command is null)
                {
                    _connection = new SqliteConnection(services.GetRequiredService<SqliteConnectionString>().Value);
                    _connection.Open();
                    _command = _connection.CreateCommand();
                    _command.CommandText = Sql;
                    _command.Prepare();
                }
                return (long)_command.ExecuteScalar()!;
            }
            catch (SqliteException)
            {
                Close(); // opened again by the next read
                throw;
            }
        }
    }

    private void Close()
    {
        _command?.Dispose();
        _connection?.Dispose();
        (_command, _connection) = (null, null);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Close();
        }
    }
}
