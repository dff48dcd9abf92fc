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
