using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// Every connection EF opens runs with the configured durability, a busy timeout and foreign keys, including a pooled
/// native connection reused without the PRAGMAs being issued again.
/// </summary>
public class StoragePragmaTests
{
    [Theory]
    [InlineData("Normal", 1)]
    [InlineData("Full", 2)]
    public async Task EveryEfConnection_FirstOrReused_HasThePerConnectionPragmas(string synchronous, long expectedSynchronous)
    {
        using var app = new ImmutableAppFactory().With("Storage:Synchronous", synchronous);
        _ = app.Services; // start the host (migrations)
        var factory = app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        var handles = new List<SQLitePCL.sqlite3>();
        for (var i = 0; i < 6; i++)
        {
            await using var db = await factory.CreateDbContextAsync();
            await db.Database.OpenConnectionAsync();
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            handles.Add(connection.Handle!);
            Assert.Equal(10_000L, Scalar(connection, "PRAGMA busy_timeout"));
            Assert.Equal(expectedSynchronous, Scalar(connection, "PRAGMA synchronous"));
            Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys"));
            await db.Database.CloseConnectionAsync();
        }
        // The pool handed a native connection back at least once, so the reuse path was the one checked.
        Assert.True(handles.Distinct().Count() < handles.Count);
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
