using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Immutable.Web.Storage;

/// <summary>
/// PRAGMAs are per connection: every connection EF opens gets the configured durability and a busy timeout, like the
/// chain writer's own connection. (Without this, EF connections run SQLite's default synchronous=FULL and fsync on
/// every save, whatever Storage:Synchronous says.)
/// </summary>
public sealed class SqlitePragmaInterceptor(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    private readonly string _pragmas = SqlitePragmas.PerConnection(synchronous);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
