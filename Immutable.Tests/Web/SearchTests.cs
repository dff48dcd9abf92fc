using System.Net;
using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Immutable.Tests.TestSupport;
using Immutable.Web.Search;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>GET /api/v1/search (the dashboard's global search): each kind, escaping, workspaces apart, and the plans.</summary>
[Trait("Postgres", "run")]
public class SearchTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private async Task<(HttpClient Client, string WorkspaceId)> NewWorkspaceAsync()
    {
        var key = await app.CreateKeyAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        return (client, key.WorkspaceId);
    }

    private static async Task<string[]> Ids(HttpClient client, string q, string group) =>
        (await client.GetJsonAsync("/api/v1/search?q=" + Uri.EscapeDataString(q)))["data"]![group]!.AsArray()
            .Select(h => h!["id"]!.GetValue<string>()).ToArray();

    private async Task<string> SeedAlertAsync(string workspaceId)
    {
        var at = app.Time.GetUtcNow().UtcDateTime;
        var alert = new AlertRecord
        {
            Id = "alt_" + Guid.NewGuid().ToString("D"), WorkspaceId = workspaceId, RuleId = "rul_x", RuleName = "Seeded",
            RuleType = RuleType.RepeatedAction, Severity = Severity.High, Status = AlertStatus.Open, Reason = "seeded",
            GroupKey = "u", ActorId = "u", Context = "{}", RelatedEventIds = "[]", FirstEventAt = at, TriggeredAt = at, LastSeenAt = at, HitCount = 1,
        };
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        db.Alerts.Add(alert);
        await db.SaveChangesAsync();
        return alert.Id;
    }

    [Fact]
    public async Task Search_Actors_ByIdPrefixThenContains_AndByName_CaseInsensitive()
    {
        var (client, _) = await NewWorkspaceAsync();
        await client.IngestAsync(new { actor_id = "user_grace", actor_name = "Grace Hopper", action = "auth.login" });
        await client.IngestAsync(new { actor_id = "svc_user_sync", action = "sync.ran" });
        await client.IngestAsync(new { actor_id = "ada", actor_name = "Ada Lovelace", action = "auth.login" });
        await client.IngestAsync(new { actor_id = "ada", action = "doc.viewed" }); // no name on this one: the name is kept

        Assert.Equal(["user_grace", "svc_user_sync"], await Ids(client, "user_", "actors")); // the prefix match first
        Assert.Equal(["user_grace"], await Ids(client, "HOPPER", "actors"));
        Assert.Equal(["ada"], await Ids(client, "lovelace", "actors"));
        var hit = (await client.GetJsonAsync("/api/v1/search?q=ada"))["data"]!["actors"]![0]!;
        Assert.Equal("Ada Lovelace", hit["name"]!.GetValue<string>());
        Assert.Equal("/actors/ada", hit["href"]!.GetValue<string>());
    }

    [Fact]
    public async Task Search_IpAddresses_Sessions_AndAlerts_ByPrefix_EachOnce()
    {
        var (client, ws) = await NewWorkspaceAsync();
        for (var i = 0; i < 3; i++)
            await client.IngestAsync(new { actor_id = "u", action = "a.b", ip_address = "81.2.69.160", session_id = "sess_alpha" });
        await client.IngestAsync(new { actor_id = "u", action = "a.b", ip_address = "81.2.69.161", session_id = "sess_beta" });
        await client.IngestAsync(new { actor_id = "u", action = "a.b", ip_address = "2001:db8::1" });
        var alertId = await SeedAlertAsync(ws);

        Assert.Equal(["81.2.69.160", "81.2.69.161"], await Ids(client, "81.2.69.16", "ip_addresses"));
        Assert.Equal(["2001:db8::1"], await Ids(client, "2001:db8", "ip_addresses"));
        Assert.Equal(["sess_alpha", "sess_beta"], await Ids(client, "sess_", "sessions"));
        Assert.Equal([alertId], await Ids(client, alertId[..12], "alerts"));
        Assert.Equal([alertId], await Ids(client, alertId["alt_".Length..][..8], "alerts")); // the UUID part alone
        var ip = (await client.GetJsonAsync("/api/v1/search?q=81.2.69.161"))["data"]!["ip_addresses"]![0]!;
        Assert.Equal("/events?ip_address=81.2.69.161", ip["href"]!.GetValue<string>());
        // The link's filter is one the events API serves.
        Assert.Single((await client.GetJsonAsync("/api/v1/events?ip_address=81.2.69.161"))["data"]!.AsArray());
    }

    [Fact]
    public async Task Search_LikeWildcardsInTheText_MatchOnlyThemselves()
    {
        var (client, _) = await NewWorkspaceAsync();
        await client.IngestAsync(new { actor_id = "plain", actor_name = "abcdef", action = "a.b" });
        await client.IngestAsync(new { actor_id = "pct", actor_name = "100% sure", action = "a.b" });
        await client.IngestAsync(new { actor_id = "under", actor_name = "a_c", action = "a.b" });
        await client.IngestAsync(new { actor_id = "back", actor_name = @"x\y", action = "a.b" });

        Assert.Equal(["pct"], await Ids(client, "%", "actors"));
        Assert.Equal(["under"], await Ids(client, "_", "actors"));
        Assert.Equal(["under"], await Ids(client, "a_c", "actors"));
        Assert.Equal(["back"], await Ids(client, @"\", "actors"));
        Assert.Empty(await Ids(client, "b%d", "actors"));
        Assert.Empty(await Ids(client, "' OR 1=1 --", "actors"));
    }

    [Fact]
    public async Task Search_AnotherWorkspacesData_IsNeverReturned()
    {
        var (mine, _) = await NewWorkspaceAsync();
        var (theirs, theirWs) = await NewWorkspaceAsync();
        await theirs.IngestAsync(new { actor_id = "secret_actor", actor_name = "Secret Person", action = "a.b", ip_address = "81.2.69.200", session_id = "secret_session" });
        var alertId = await SeedAlertAsync(theirWs);
        foreach (var q in new[] { "secret", "Person", "81.2.69.200", alertId })
        {
            var data = (await mine.GetJsonAsync("/api/v1/search?q=" + Uri.EscapeDataString(q)))["data"]!;
            foreach (var group in new[] { "actors", "ip_addresses", "sessions", "alerts" }) Assert.Empty(data[group]!.AsArray());
        }
        Assert.Equal(["secret_actor"], await Ids(theirs, "secret", "actors"));
    }

    [Theory]
    [InlineData("", "q")]
    [InlineData("   ", "q")]
    public async Task Search_WithoutText_Is422WithTheField(string q, string field)
    {
        var (client, _) = await NewWorkspaceAsync();
        var body = await client.GetJsonAsync("/api/v1/search?q=" + Uri.EscapeDataString(q), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(field, body.ToJsonString(), StringComparison.Ordinal);
        await client.GetJsonAsync("/api/v1/search?q=" + new string('x', SearchService.MaxLength + 1), HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OpenApi_DocumentsTheSearchEndpoint()
    {
        var paths = (await app.CreateClient().GetJsonAsync("/openapi/v1.json"))["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/v1/search"), string.Join(", ", paths.Select(p => p.Key)));
    }

    [Fact]
    public async Task SearchQueries_UseIndexes_NeverScanTheEventsTable()
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var plans = new Dictionary<string, string>
        {
            ["actor prefix"] = Plan(SearchService.ActorsByIdPrefix(db, "ws_x", "gra").ToQueryString()),
            ["actor contains"] = Plan(SearchService.ActorsContaining(db, "ws_x", "hop").Take(5).ToQueryString()),
            ["ip"] = Plan(SearchService.NextValue(db, "ws_x", nameof(EventRecord.IpAddress), "81.2", true, "81.3").ToQueryString()),
            ["session"] = Plan(SearchService.NextValue(db, "ws_x", nameof(EventRecord.SessionId), "sess_", false, "sess`").ToQueryString()),
            ["alert"] = Plan(SearchService.AlertsByIdPrefix(db, "ws_x", "alt_12").ToQueryString()),
        };
        var sqlite = app.Provider == StorageProvider.Sqlite;
        string[] expected = ["actors", "actors", "IX_events_workspace_id_ip_address", "IX_events_workspace_id_session_id_sequence", "IX_alerts_id"];
        foreach (var ((name, plan), index) in plans.Zip(expected))
        {
            Assert.True(plan.Contains(index, StringComparison.Ordinal), $"{name}: {plan}");
            if (sqlite)
            {
                Assert.DoesNotContain("SCAN e\n", plan + "\n", StringComparison.Ordinal);
                Assert.DoesNotContain("SCAN a\n", plan + "\n", StringComparison.Ordinal);
                Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    [Trait("SqliteOnly", "true")] // SQLite's EXPLAIN QUERY PLAN
    public async Task EventsByOccurredAtRange_CountUsesTheOccurredAtIndex()
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var query = new Immutable.Web.Events.EventQuery { From = DateTime.UnixEpoch, To = DateTime.UnixEpoch, ByOccurredAt = true };
        var plan = Plan(Immutable.Web.Events.EventReader.CountQuery(db, "ws_x", query).ToQueryString());
        Assert.Contains("IX_events_workspace_id_occurred_at (workspace_id=? AND occurred_at>? AND occurred_at<?)", plan, StringComparison.Ordinal);
    }

    /// <summary>The store's plan of one EF query: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN with sequential scans discouraged (its tables here are tiny).</summary>
    private string Plan(string sql)
    {
        var lines = sql.Split('\n');
        var statement = string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal) && !l.StartsWith("-- ", StringComparison.Ordinal)));
        using var connection = app.OpenStore();
        if (app.Provider != StorageProvider.Sqlite)
        {
            using var off = connection.CreateCommand();
            off.CommandText = "SET enable_seqscan = off";
            off.ExecuteNonQuery();
        }
        using var cmd = connection.CreateCommand();
        cmd.CommandText = (app.Provider == StorageProvider.Sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + statement;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(statement, @"@\w+").Select(m => m.Value).Distinct())
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = statement.Contains("LIMIT " + name, StringComparison.Ordinal) ? 5 : "x";
            cmd.Parameters.Add(p);
        }
        using var reader = cmd.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read()) plan.Add(app.Provider == StorageProvider.Sqlite ? reader.GetString(3) : reader.GetString(0));
        return string.Join('\n', plan);
    }
}
