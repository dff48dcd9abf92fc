using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Immutable.Bench;

/// <summary>
/// The machine's own limits, measured in the same run as the product so each figure can be read as a ratio:
/// what Kestrel does with a POST that does nothing, and what SQLite does with the same rows and no product code.
/// </summary>
internal static class Ceilings
{
    /// <summary>
    /// A separate process serving POST /noop: reads the body (as ingest must) and answers 202, on ASP.NET Core's
    /// default host and Kestrel settings, which are the app's (it configures no Kestrel limits of its own).
    /// </summary>
    public static async Task<int> ServeNoOpAsync(int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.MapPost("/noop", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        });
        app.MapGet("/ready", () => "ok");
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// Raw insert of event rows into a fresh database with the app's schema and indexes (its migrations), on one
    /// connection with the chain writer's pragmas (WAL, the same synchronous mode, cache, no inline checkpoints), <paramref name="batch"/> rows per
    /// transaction, through one prepared statement: no JSON, no hashing, no chain, no EF.
    /// </summary>
    public static async Task<int> RawSqliteAsync(int rows, int batch, string? results)
    {
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string?>(), _ => { });
        var path = host.DatabasePath;
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        SqlitePragmas.Apply(connection, SqliteSynchronous.Normal, writer: true); // the chain writer's own settings

        var (columns, values) = RawRows(rows, host.WorkspaceId);
        using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO events ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "$" + c))})";
        var parameters = columns.Select(c => insert.Parameters.Add(new SqliteParameter("$" + c, null))).ToArray();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rows; i += batch)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            for (var r = i; r < Math.Min(rows, i + batch); r++)
            {
                var row = values[r];
                for (var c = 0; c < row.Length; c++) parameters[c].Value = row[c];
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        var rate = rows / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling, raw SQLite insert: {rows} rows in transactions of {batch}: {rate:F0} rows/s"));
        BenchResults.Record(results, "ceiling.raw_sqlite.rows_per_s", rate);
        return 0;
    }

    /// <summary>
    /// The PostgreSQL ceiling for ingest: event rows inserted into the app's own schema and indexes (its PostgreSQL
    /// migrations, in the database <paramref name="connectionString"/> names, which must be empty), one multi-row INSERT
    /// of <paramref name="batch"/> rows per transaction on one connection: no JSON, no hashing, no chain, no EF.
    /// </summary>
    public static async Task<int> RawPostgresAsync(string connectionString, int rows, int batch, string? results)
    {
        if (connectionString.Length == 0) throw new ArgumentException("--connection is required");
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Default"] = connectionString,
        }, _ => { });
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        var (columns, values) = RawRows(rows, host.WorkspaceId);

        // One prepared statement per batch size (the last batch may be shorter).
        Npgsql.NpgsqlCommand Prepare(int size)
        {
            var command = connection.CreateCommand();
            var tuples = Enumerable.Range(0, size).Select(r => "(" + string.Join(", ", columns.Select((_, c) => $"${r * columns.Length + c + 1}")) + ")");
            command.CommandText = $"INSERT INTO events ({string.Join(", ", columns)}) VALUES {string.Join(", ", tuples)}";
            for (var n = 0; n < size * columns.Length; n++) command.Parameters.Add(new Npgsql.NpgsqlParameter());
            return command;
        }
        var commands = new Dictionary<int, Npgsql.NpgsqlCommand>();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rows; i += batch)
        {
            var size = Math.Min(batch, rows - i);
            if (!commands.TryGetValue(size, out var insert)) commands[size] = insert = Prepare(size);
            for (var r = 0; r < size; r++)
                for (var c = 0; c < columns.Length; c++) insert.Parameters[r * columns.Length + c].Value = values[i + r][c];
            await using var transaction = await connection.BeginTransactionAsync();
            insert.Transaction = transaction;
            await insert.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
        var rate = rows / clock.Elapsed.TotalSeconds;
        foreach (var command in commands.Values) await command.DisposeAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling, raw PostgreSQL insert: {rows} rows, one INSERT of {batch} rows per transaction: {rate:F0} rows/s"));
        BenchResults.Record(results, "ceiling.raw_postgres.rows_per_s", rate);
        return 0;
    }

    /// <summary>
    /// The raw ceilings' rows, the same for both stores: event columns of the app's schema and their values, built before
    /// any clock starts (the ceiling is the database's, not string formatting's).
    /// </summary>
    private static (string[] Columns, object[][] Values) RawRows(int rows, string workspaceId)
    {
        string[] columns =
        [
            "id", "workspace_id", "sequence", "actor_id", "actor_name", "action", "resource", "resource_id", "metadata",
            "session_id", "ip_address", "ip_country", "ip_city", "ip_latitude", "ip_longitude", "ip_accuracy_radius_km",
            "ip_time_zone", "version", "occurred_at", "created_at", "previous_event_hash", "event_hash", "schema_violation",
        ];
        var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var hashes = Enumerable.Range(0, rows + 1).Select(i => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
        var values = Enumerable.Range(0, rows).Select(i => new object[]
        {
            Guid.NewGuid().ToString("D"), workspaceId, (long)i + 1, $"user_{i % 500}", $"Bench User {i % 500}",
            "document.viewed", "document", $"doc_{i % 5000}", $$"""{"n":{{i}},"source":"bench"}""", $"sess_{i % 2000}",
            $"81.2.69.{i % 250}", "GB", "London", 51.5, -0.13, 20, "Europe/London", 1, start + i * 10_000_000L,
            start + i * 10_000_000L, i == 0 ? DBNull.Value : hashes[i], hashes[i + 1], false,
        }).ToArray();
        return (columns, values);
    }
}
