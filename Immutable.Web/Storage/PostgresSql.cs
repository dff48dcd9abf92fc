using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Immutable.Web.Storage;

/// <summary>
/// Every PostgreSQL-specific SQL text the app issues, in one place (the SQLite ones are in <see cref="SqlitePragmas"/>).
/// Parameters are positional ($1, $2...): Npgsql sends them without rewriting, also inside batches.
/// </summary>
public static class PostgresSql
{
    /// <summary>
    /// The session lock held while migrations run, so instances starting together migrate once: the first applies them,
    /// the others wait and then find nothing pending. A constant 64-bit key ("immutable.migrations").
    /// </summary>
    public static readonly long MigrationLockKey = LockKey("immutable.migrations");

    public const string LockMigrations = "SELECT pg_advisory_lock($1)";

    public const string UnlockMigrations = "SELECT pg_advisory_unlock($1)";

    /// <summary>
    /// Serializes appends to one workspace's chain across every instance until the transaction ends (commit or
    /// rollback releases it; a dead instance's connection releases it too).
    /// </summary>
    public const string LockChain = "SELECT pg_advisory_xact_lock($1)";

    /// <summary>The 64-bit advisory lock key of a workspace's chain (SHA-256 of a prefixed id, first 8 bytes).</summary>
    public static long ChainLockKey(string workspaceId) => LockKey("immutable.chain:" + workspaceId);

    /// <summary>
    /// The newest stored event, or, when retention archived every event, the retention cut: read inside the chain lock,
    /// never from a cache (another instance may have appended since).
    /// </summary>
    public const string ReadHead = """
        SELECT sequence, event_hash, created_at FROM (
            SELECT sequence, event_hash, created_at FROM events WHERE workspace_id = $1 ORDER BY sequence DESC LIMIT 1) AS newest
        UNION ALL
        SELECT last_sequence, last_event_hash, last_created_at FROM retention_cuts WHERE workspace_id = $1
        ORDER BY 1 DESC LIMIT 1
        """;

    public const string FindIdempotencyKeys =
        "SELECT idempotency_key, id, sequence, event_hash FROM events WHERE workspace_id = $1 AND idempotency_key = ANY($2)";

    /// <summary>
    /// One event. Any unique index that already holds the row (idempotency key, id, or (workspace, sequence)) makes it
    /// insert nothing instead of failing; the writer sees 0 rows affected, rolls the whole group back and re-reads.
    /// </summary>
    public static readonly string InsertEvent =
        $"INSERT INTO events ({string.Join(", ", EventRow.Columns)}) VALUES ({string.Join(", ", EventRow.Columns.Select((_, i) => "$" + (i + 1)))}) ON CONFLICT DO NOTHING";

    /// <summary>A target of the event just inserted (found by its place in the chain, inserted earlier in the same batch).</summary>
    public const string InsertTarget =
        "INSERT INTO event_targets (event_row_id, workspace_id, type, target_id) SELECT row_id, $1, $2, $3 FROM events WHERE workspace_id = $1 AND sequence = $4";

    /// <summary>
    /// Claims due webhook deliveries for this instance: rows another instance is claiming right now are skipped
    /// (<c>FOR UPDATE SKIP LOCKED</c>), and the claimed ones get <c>next_attempt_at</c> = the lease's end, so no other
    /// instance finds them due until this one has recorded its attempt (which sets the real next time or the final
    /// status) or the lease has expired (the instance died). $1 now, $2 how many, $3 the lease's end (UTC ticks).
    /// </summary>
    public const string ClaimDueDeliveries = """
        UPDATE deliveries SET next_attempt_at = $3
        WHERE row_id IN (
            SELECT d.row_id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled AND e.paused_at IS NULL
            ORDER BY d.next_attempt_at LIMIT $2
            FOR UPDATE OF d SKIP LOCKED)
        RETURNING row_id
        """;

    /// <summary>A write that changes nothing but needs a transaction id: fails on a read-only server or a full disk.</summary>
    public const string WriteProbe = "SELECT pg_current_xact_id()";

    /// <summary>
    /// The channel domain events cross instances on (<c>Cluster/PostgresPeerEvents</c>). A payload is text of at most
    /// 7 999 bytes (the server's limit); notifications of one session arrive in order, after its transaction commits.
    /// </summary>
    public const string PeerEventsChannel = "immutable_domain_events";

    public const string ListenPeerEvents = "LISTEN " + PeerEventsChannel;

    public const string NotifyPeerEvents = "SELECT pg_notify('" + PeerEventsChannel + "', $1)";

    /// <summary>Proves an idle listening connection is still alive (a dead one throws, and is replaced).</summary>
    public const string KeepAlive = "SELECT 1";

    private static long LockKey(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
