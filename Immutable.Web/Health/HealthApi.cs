using Immutable.Web.Delivery.Live;
using Immutable.Web.DomainEvents;
using Immutable.Web.Enrichment;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Health;

public sealed record Liveness(string Status);

/// <param name="GeoDatabaseBuiltAt">When MaxMind built the geo database in use (UTC, ISO 8601); null when none is loaded.</param>
/// <param name="StorageProvider"><c>sqlite</c> or <c>postgres</c>.</param>
/// <param name="PeerEvents">How domain events reach other instances: <c>in_process</c> (SQLite, one process), or on
/// PostgreSQL <c>listening</c> / <c>reconnecting</c> (LISTEN/NOTIFY).</param>
/// <param name="Redis"><c>not_configured</c>, <c>ok</c> or <c>unreachable</c> (SignalR's backplane); reported, never blocking.</param>
public sealed record Readiness(string Status, string Database, string Migrations, string GeoDatabase, string? GeoDatabaseBuiltAt, string Email,
    string StorageProvider, string PeerEvents, string Redis);

/// <summary>/healthz: the process answers. /readyz: the store is usable (geo is reported, never blocking).</summary>
public static class HealthApi
{
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new Liveness("ok"))).WithTags("Health").AllowAnonymous();
        app.MapGet("/readyz", ReadyAsync).WithTags("Health").AllowAnonymous();
        return app;
    }

    public static async Task<IResult> ReadyAsync(IDbContextFactory<ImmutableDbContext> dbFactory, IGeoLocator geo, StorageHealth storage,
        Microsoft.Extensions.Options.IOptions<Immutable.Web.Delivery.Email.EmailOptions> email, RedisProbe redis, IServiceProvider services, CancellationToken ct)
    {
        var peers = services.GetService<PostgresPeerEvents>();
        var provider = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.Provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        string database, migrations;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            database = await db.Database.CanConnectAsync(ct) ? "ok" : "unreachable";
            migrations = database == "ok" && !(await db.Database.GetPendingMigrationsAsync(ct)).Any() ? "ok" : "pending";
            // While writes fail (disk full...), a probe write decides: not ready until one goes through again.
            if (database == "ok" && storage.Current is not null)
            {
                if (await StorageHealth.ProbeWriteAsync(db, ct)) storage.ReportSuccess();
                if (storage.Current is { } fault) database = "write_failing: " + fault.Reason;
            }
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            database = "unreachable";
            migrations = "unknown";
        }
        var ready = database == "ok" && migrations == "ok";
        // Email is reported, never blocking: without SMTP the channel is simply off.
        var body = new Readiness(ready ? "ready" : "not_ready", database, migrations, geo.DatabaseLoaded ? "loaded" : "missing",
            geo.DatabaseBuiltAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), email.Value.Enabled ? "configured" : "disabled",
            provider, peers is null ? "in_process" : peers.Listening ? "listening" : "reconnecting", await redis.StatusAsync(ct));
        return TypedResults.Json(body, statusCode: ready ? 200 : 503);
    }
}
