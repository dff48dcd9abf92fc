using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Storage;

/// <summary>
/// Which due webhook deliveries this instance sends. On PostgreSQL (several instances) rows are claimed with a lease
/// (<see cref="PostgresSql.ClaimDueDeliveries"/>): each due delivery is sent by one instance, and by another only after
/// the lease expired unrecorded. SQLite has one process, one dispatcher: nothing to claim.
/// </summary>
public static class DeliveryClaims
{
    /// <summary>Claims up to <paramref name="max"/> due deliveries until <paramref name="leaseUntil"/>; returns their row ids.</summary>
    public static async Task<IReadOnlyList<long>> ClaimDueAsync(ImmutableDbContext db, DateTime now, int max, DateTime leaseUntil, CancellationToken ct)
    {
        if (!db.IsPostgres()) throw new InvalidOperationException("Claims are for PostgreSQL; SQLite has one dispatcher.");
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = PostgresSql.ClaimDueDeliveries;
        foreach (var value in new object[] { now.Ticks, max, leaseUntil.Ticks })
        {
            var parameter = command.CreateParameter();
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }
}

/// <summary>
/// An endpoint's failure count and pause, changed in SQL rather than by writing back a value read earlier: two
/// instances recording attempts to one endpoint at once both count (no lost update), and only one of them pauses it
/// (and queues the admins' email). Portable SQL (@ parameters, RETURNING): the same text on SQLite and PostgreSQL.
/// Runs inside the caller's transaction (the one recording the attempts).
/// </summary>
public static class EndpointCounters
{
    /// <summary>keep = 0 after a delivery in the batch (the count restarts), 1 otherwise; add = failures since.</summary>
    private const string CountFailures =
        "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures * @keep + @add WHERE id = @id RETURNING consecutive_failures";

    private const string Pause =
        "UPDATE webhook_endpoints SET paused_at = @at, paused_reason = @reason WHERE id = @id AND paused_at IS NULL";

    /// <summary>Applies a batch's outcomes to the endpoint's count; returns the count now stored (null: the endpoint is gone).</summary>
    public static async Task<int?> CountAsync(ImmutableDbContext db, string endpointId, bool restart, int failures, CancellationToken ct)
    {
        await using var command = await CommandAsync(db, CountFailures, ct);
        Add(command, "@keep", restart ? 0 : 1);
        Add(command, "@add", failures);
        Add(command, "@id", endpointId);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? null : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Pauses the endpoint unless it already is; true when this call paused it.</summary>
    public static async Task<bool> TryPauseAsync(ImmutableDbContext db, string endpointId, string reason, DateTime at, CancellationToken ct)
    {
        await using var command = await CommandAsync(db, Pause, ct);
        Add(command, "@at", at.Ticks);
        Add(command, "@reason", reason);
        Add(command, "@id", endpointId);
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    private static async Task<System.Data.Common.DbCommand> CommandAsync(ImmutableDbContext db, string sql, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync(ct);
        var command = connection.CreateCommand();
        command.Transaction = Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(
            db.Database.CurrentTransaction ?? throw new InvalidOperationException("Endpoint counters change inside the transaction that records the attempts."));
        command.CommandText = sql;
        return command;
    }

    private static void Add(System.Data.Common.DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
