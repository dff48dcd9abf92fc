using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Immutable.Web.Storage;

/// <summary>
/// PRAGMAs are per connection: every connection EF opens gets the configured durability and a busy timeout, like the
/// chain writer's own connection. (Without this, EF connections run SQLite's default synchronous=FULL and fsync on
/// every save, whatever Storage:Synchronous says.)
/// PRAGMAs belong to the native connection, which Microsoft.Data.Sqlite's pool keeps open between EF's opens: they are
/// issued once per native connection, not on every open (that was a statement more per request on every API call).
/// </summary>
public sealed class SqlitePragmaInterceptor(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    private readonly string _pragmas = SqlitePragmas.PerConnection(synchronous);
    // Native connections already set up; entries go when the pool closes the native connection.
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (AlreadyConfigured(connection)) return;
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
        MarkConfigured(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (AlreadyConfigured(connection)) return;
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkConfigured(connection);
    }

    private bool AlreadyConfigured(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && _configured.TryGetValue(handle, out _);

    private void MarkConfigured(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle }) _configured.AddOrUpdate(handle, this);
    }
}
