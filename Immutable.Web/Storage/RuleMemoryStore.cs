using System.Data.Common;
using Immutable.Domain.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Immutable.Web.Storage;

/// <summary>
/// The long-lived memory of the stateful rules, per rule and actor: new_country's countries seen and impossible_travel's
/// last fix. Read and written through the caller's context, so a detection chunk's memory commits with its alerts.
/// </summary>
public interface IRuleMemoryStore
{
    Task<ILookup<string, string>> CountriesAsync(ImmutableDbContext db, string ruleId, IReadOnlyCollection<string> actors, CancellationToken ct);

    Task<IReadOnlyDictionary<string, TravelFix>> TravelFixesAsync(ImmutableDbContext db, string ruleId, IReadOnlyCollection<string> actors, CancellationToken ct);

    /// <summary>Adds countries learned (never seen before for the actor) to the context's unit of work.</summary>
    void AddCountries(ImmutableDbContext db, string ruleId, IEnumerable<(string Actor, string Country)> learned);

    /// <summary>Inserts or replaces the actors' last fixes at once, inside the context's current transaction.</summary>
    void SaveTravelFixes(ImmutableDbContext db, string ruleId, IReadOnlyCollection<(string Actor, TravelFix Fix)> changed);
}

/// <summary>Portable SQL (named @ parameters, INSERT ... ON CONFLICT DO UPDATE): the same text on SQLite and PostgreSQL.</summary>
public sealed class SqlRuleMemoryStore : IRuleMemoryStore
{
    public async Task<ILookup<string, string>> CountriesAsync(ImmutableDbContext db, string ruleId, IReadOnlyCollection<string> actors, CancellationToken ct) =>
        (await db.RuleActorCountries.AsNoTracking()
            .Where(c => c.RuleId == ruleId && actors.Contains(c.ActorId))
            .Select(c => new { c.ActorId, c.Country }).ToListAsync(ct))
        .ToLookup(c => c.ActorId, c => c.Country, StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, TravelFix>> TravelFixesAsync(ImmutableDbContext db, string ruleId, IReadOnlyCollection<string> actors, CancellationToken ct) =>
        (await db.RuleTravelFixes.AsNoTracking()
            .Where(f => f.RuleId == ruleId && actors.Contains(f.ActorId)).ToListAsync(ct))
        .ToDictionary(f => f.ActorId, f => new TravelFix(Guid.Parse(f.EventId), f.At, f.Latitude, f.Longitude, f.Country, f.City), StringComparer.Ordinal);

    public void AddCountries(ImmutableDbContext db, string ruleId, IEnumerable<(string Actor, string Country)> learned)
    {
        foreach (var (actor, country) in learned)
            db.RuleActorCountries.Add(new RuleActorCountryRecord { RuleId = ruleId, ActorId = actor, Country = country });
    }

    public void SaveTravelFixes(ImmutableDbContext db, string ruleId, IReadOnlyCollection<(string Actor, TravelFix Fix)> changed)
    {
        if (changed.Count == 0) return;
        // The evaluator's memory is authoritative and can change on every event: one prepared upsert per changed actor
        // instead of tracked entities.
        using var upsert = PrepareFixUpsert(db);
        foreach (var (actor, fix) in changed)
        {
            object?[] values = [ruleId, actor, fix.EventId.ToString("D"), fix.At.Ticks, fix.Latitude, fix.Longitude, fix.Country, fix.City];
            for (var i = 0; i < values.Length; i++) upsert.Parameters[i].Value = values[i] ?? DBNull.Value;
            upsert.ExecuteNonQuery();
        }
    }

    private static DbCommand PrepareFixUpsert(ImmutableDbContext db)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Travel fixes are saved inside the detection chunk's transaction.");
        command.CommandText = """
            INSERT INTO rule_travel_fixes (rule_id, actor_id, event_id, at, latitude, longitude, country, city)
            VALUES (@rule, @actor, @event, @at, @lat, @lon, @country, @city)
            ON CONFLICT (rule_id, actor_id) DO UPDATE SET
                event_id = excluded.event_id, at = excluded.at, latitude = excluded.latitude,
                longitude = excluded.longitude, country = excluded.country, city = excluded.city
            """;
        foreach (var name in new[] { "@rule", "@actor", "@event", "@at", "@lat", "@lon", "@country", "@city" })
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            command.Parameters.Add(p);
        }
        // Npgsql prepares only parameters whose types are known; its own statement cache serves the repeats there.
        if (!db.IsPostgres()) command.Prepare();
        return command;
    }
}
