using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Immutable.Tests.TestSupport;
using Immutable.Web.Incidents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

[Trait("Postgres", "run")]
public class IncidentsApiTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private const string LowRule = """{"name":"Reads","rule_type":"repeated_action","severity":"low","cooldown_minutes":0,"conditions":{"action_patterns":["doc.read"],"threshold":1,"window_minutes":1}}""";
    private const string CriticalRule = """{"name":"Deletes","rule_type":"repeated_action","severity":"critical","cooldown_minutes":0,"conditions":{"action_patterns":["doc.deleted"],"threshold":1,"window_minutes":1}}""";

    private async Task<(HttpClient Client, string WorkspaceId)> NewWorkspaceAsync()
    {
        var key = await app.CreateKeyAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Key);
        return (client, key.WorkspaceId);
    }

    private DateTime Base => app.Time.GetUtcNow().UtcDateTime.AddHours(-6);

    private static Task<string> IngestAtAsync(HttpClient client, string actor, string action, DateTime at, string? session = null) =>
        client.IngestAsync(new { actor_id = actor, action, occurred_at = Iso(at), session_id = session });

    private static async Task<JsonArray> IncidentsAsync(HttpClient client, string query = "") =>
        (await client.GetJsonAsync("/api/v1/incidents?limit=100&" + query))["data"]!.AsArray();

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string url, string json) =>
        client.PatchAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Id(JsonNode? node) => node!["id"]!.GetValue<string>();

    private static void AssertViolation(JsonNode body, string field)
    {
        var fields = body["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).ToList();
        Assert.True(fields.Contains(field), $"expected a violation for {field}: {body.ToJsonString()}");
    }

    /// <summary>Three alerts of one actor (two rules, 10 minutes apart) and one of another actor.</summary>
    private async Task<(HttpClient Client, string WorkspaceId, JsonNode Ana, JsonNode Bob)> TwoActorsAsync()
    {
        var (client, ws) = await NewWorkspaceAsync();
        await client.CreateRuleAsync(LowRule);
        await client.CreateRuleAsync(CriticalRule);
        await IngestAtAsync(client, "ana", "doc.read", Base);
        await IngestAtAsync(client, "ana", "doc.deleted", Base.AddMinutes(5));
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(10));
        await IngestAtAsync(client, "bob", "doc.read", Base.AddMinutes(11));
        await client.WaitForAlertsAsync("", 4);
        await client.SettleAsync(app);
        var incidents = await IncidentsAsync(client);
        Assert.Equal(2, incidents.Count);
        return (client, ws, incidents.Single(i => i!["actor_id"]!.GetValue<string>() == "ana")!, incidents.Single(i => i!["actor_id"]!.GetValue<string>() == "bob")!);
    }

    [Fact]
    public async Task Grouping_AlertsOfOneActorWithinTheWindow_OneIncidentWithTheHighestSeverity_OtherActorsApart()
    {
        var (client, _, ana, bob) = await TwoActorsAsync();
        Assert.Equal((3, "critical", "open", "actor", true), (ana["alert_count"]!.GetValue<int>(), ana["severity"]!.GetValue<string>(),
            ana["status"]!.GetValue<string>(), ana["group_by"]!.GetValue<string>(), ana["collecting"]!.GetValue<bool>()));
        Assert.Equal((1, "low"), (bob["alert_count"]!.GetValue<int>(), bob["severity"]!.GetValue<string>()));
        Assert.Equal(Iso(Base), ana["first_activity_at"]!.GetValue<string>());
        Assert.Equal(Iso(Base.AddMinutes(10)), ana["last_activity_at"]!.GetValue<string>());

        var detail = (await client.GetJsonAsync($"/api/v1/incidents/{Id(ana)}"))["data"]!;
        Assert.Equal(3, detail["alerts"]!.AsArray().Count);
        Assert.All(detail["alerts"]!.AsArray(), a => Assert.Equal("ana", a!["actor_id"]!.GetValue<string>()));
        Assert.Empty(detail["comments"]!.AsArray());
        Assert.Empty(detail["observations"]!.AsArray());
    }

    [Fact]
    public async Task Grouping_AFindingAfterTheWindow_StartsANewIncident_AndTheOldOneStopsCollecting()
    {
        var (client, _) = await NewWorkspaceAsync();
        await client.CreateRuleAsync(LowRule);
        await IngestAtAsync(client, "ana", "doc.read", Base);
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(60));  // exactly the window: joins
        await client.WaitForAlertsAsync("", 2);
        await client.SettleAsync(app);
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(121)); // 61 minutes after the last activity
        await client.WaitForAlertsAsync("", 3);
        await client.SettleAsync(app);

        var incidents = await IncidentsAsync(client);
        Assert.Equal(2, incidents.Count);
        var (newer, older) = (incidents[0]!, incidents[1]!);
        Assert.Equal((1, true), (newer["alert_count"]!.GetValue<int>(), newer["collecting"]!.GetValue<bool>()));
        Assert.Equal((2, false), (older["alert_count"]!.GetValue<int>(), older["collecting"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task List_FromTo_KeepsTheIncidentsWhoseActivityOverlapsTheRange_AndRefusesABadTime()
    {
        var (client, _) = await NewWorkspaceAsync();
        await client.CreateRuleAsync(LowRule);
        await IngestAtAsync(client, "ana", "doc.read", Base);
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(30));  // one incident: Base .. Base+30
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(200)); // a second one
        await client.WaitForAlertsAsync("", 3);
        await client.SettleAsync(app);
        Assert.Equal(2, (await IncidentsAsync(client)).Count);

        async Task<int[]> Counts(string query) =>
            (await IncidentsAsync(client, query)).Select(i => i!["alert_count"]!.GetValue<int>()).ToArray();
        Assert.Equal(new[] { 2 }, await Counts($"from={Iso(Base.AddMinutes(10))}&to={Iso(Base.AddMinutes(20))}")); // inside the span
        Assert.Equal(new[] { 2 }, await Counts($"to={Iso(Base)}"));                        // ends exactly at its first activity
        Assert.Equal(new[] { 1 }, await Counts($"from={Iso(Base.AddMinutes(31))}"));
        Assert.Equal(new[] { 1, 2 }, await Counts($"from={Iso(Base.AddMinutes(30))}"));
        Assert.Empty(await Counts($"from={Iso(Base.AddMinutes(31))}&to={Iso(Base.AddMinutes(199))}"));

        var bad = await client.GetAsync("/api/v1/incidents?from=yesterday");
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("\"from\"", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grouping_WindowAndSessionFromTheWorkspaceSettings()
    {
        var (client, _) = await NewWorkspaceAsync();
        var put = await client.PutAsync("/api/v1/settings/incidents", new StringContent("""{"group_by":"session","window_minutes":240}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("""{"group_by":"session","window_minutes":240}""", (await put.ReadJsonAsync())["data"]!["incidents"]!.ToJsonString());
        await client.CreateRuleAsync(LowRule);
        await IngestAtAsync(client, "ana", "doc.read", Base, session: "s1");
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(1), session: "s2");
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(200), session: "s1"); // within 240 minutes
        await client.WaitForAlertsAsync("", 3);
        await client.SettleAsync(app);

        var incidents = await IncidentsAsync(client);
        Assert.Equal(2, incidents.Count);
        Assert.Equal([("s1", 2), ("s2", 1)], incidents.Select(i => (i!["group_value"]!.GetValue<string>(), i["alert_count"]!.GetValue<int>())).OrderBy(x => x.Item1));
        Assert.All(incidents, i => Assert.Equal("session", i!["group_by"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"group_by":"team","window_minutes":60}""", "group_by")]
    [InlineData("""{"group_by":"actor","window_minutes":0}""", "window_minutes")]
    [InlineData("""{"group_by":"actor","window_minutes":10081}""", "window_minutes")]
    [InlineData("""{"group_by":"actor","window_minutes":"60"}""", "window_minutes")]
    [InlineData("""{"group_by":"actor"}""", "window_minutes")]
    [InlineData("""{"group_by":"actor","window_minutes":60,"windw":1}""", "windw")]
    public async Task Settings_InvalidIncidentSettings_Are422WithTheFieldPath_AndKeepTheOldOnes(string body, string field)
    {
        var (client, _) = await NewWorkspaceAsync();
        var put = await client.PutAsync("/api/v1/settings/incidents", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        AssertViolation(await put.ReadJsonAsync(), field);
        Assert.Equal("""{"group_by":"actor","window_minutes":60}""", (await client.GetJsonAsync("/api/v1/settings"))["data"]!["incidents"]!.ToJsonString());
    }

    [Fact]
    public async Task Resolve_NeedsAResolution_ThenAcknowledgesItsAlerts_IsAudited_AndStopsCollecting()
    {
        var (client, _, ana, bob) = await TwoActorsAsync();
        var url = $"/api/v1/incidents/{Id(ana)}";
        var refused = await PatchAsync(client, url, """{"status":"resolved"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        AssertViolation(await refused.ReadJsonAsync(), "resolution");
        Assert.Equal("open", (await client.GetJsonAsync(url))["data"]!["incident"]!["status"]!.GetValue<string>());

        var resolved = await PatchAsync(client, url, """{"status":"resolved","resolution":"true_positive","note":"Account takeover, password reset"}""");
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        var incident = (await resolved.ReadJsonAsync())["data"]!;
        Assert.Equal(("resolved", "true_positive", false), (incident["status"]!.GetValue<string>(), incident["resolution"]!.GetValue<string>(), incident["collecting"]!.GetValue<bool>()));
        Assert.StartsWith("api_key:", incident["resolved_by"]!.GetValue<string>(), StringComparison.Ordinal);

        var alerts = (await client.GetJsonAsync(url))["data"]!["alerts"]!.AsArray();
        Assert.All(alerts, a => Assert.Equal(("acknowledged", "Account takeover, password reset"),
            (a!["status"]!.GetValue<string>(), a["acknowledgement_note"]!.GetValue<string>())));
        Assert.Equal(1, (await client.GetJsonAsync("/api/v1/alerts?status=open"))["pagination"]!["total"]!.GetValue<int>()); // bob's
        var updated = Assert.Single((await client.GetJsonAsync("/api/v1/events?action=incident.updated&limit=100"))["data"]!.AsArray());
        Assert.Equal((Id(ana), "resolved", "open"), (updated!["resource_id"]!.GetValue<string>(),
            updated["metadata"]!["after"]!["status"]!.GetValue<string>(), updated["metadata"]!["before"]!["status"]!.GetValue<string>()));
        Assert.Equal(3, (await client.GetJsonAsync("/api/v1/events?action=alert.acknowledged&limit=100"))["data"]!.AsArray().Count);
        Assert.True((await client.GetJsonAsync("/api/v1/verify"))["data"]!["valid"]!.GetValue<bool>());

        // A resolved incident collects nothing more: a later alert of the same actor starts a new one.
        await IngestAtAsync(client, "ana", "doc.read", Base.AddMinutes(12));
        await client.WaitForAlertsAsync("actor_id=ana", 4);
        await client.SettleAsync(app);
        Assert.Equal(2, (await IncidentsAsync(client, "actor_id=ana")).Count);
        Assert.Single(await IncidentsAsync(client, "actor_id=bob"));
        _ = bob;
    }

    [Fact]
    public async Task Acknowledge_AcknowledgesItsAlerts_AndANewAlertOpensItAgain()
    {
        var (client, _, ana, _) = await TwoActorsAsync();
        var url = $"/api/v1/incidents/{Id(ana)}";
        var ack = await PatchAsync(client, url, """{"status":"acknowledged"}""");
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        Assert.All((await client.GetJsonAsync(url))["data"]!["alerts"]!.AsArray(), a => Assert.Equal("acknowledged", a!["status"]!.GetValue<string>()));

        await IngestAtAsync(client, "ana", "doc.deleted", Base.AddMinutes(30));
        await client.WaitForAlertsAsync("actor_id=ana", 4);
        await client.SettleAsync(app);
        var incident = (await client.GetJsonAsync(url))["data"]!["incident"]!;
        Assert.Equal(("open", 4), (incident["status"]!.GetValue<string>(), incident["alert_count"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Assignee_MustBeAMemberOfTheWorkspace()
    {
        var (client, ws, ana, _) = await TwoActorsAsync();
        var (_, otherWs) = await NewWorkspaceAsync();
        await AddMemberAsync(ws, "ana.lyst@example.com");
        await AddMemberAsync(otherWs, "outsider@example.com");
        var url = $"/api/v1/incidents/{Id(ana)}";

        foreach (var body in new[] { """{"assignee":"outsider@example.com"}""", """{"assignee":"nobody@example.com"}""", """{"assignee":42}""" })
        {
            var refused = await PatchAsync(client, url, body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            AssertViolation(await refused.ReadJsonAsync(), "assignee");
        }
        var assigned = await PatchAsync(client, url, """{"assignee":"Ana.Lyst@example.com"}""");
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        Assert.Equal("ana.lyst@example.com", (await assigned.ReadJsonAsync())["data"]!["assignee"]!.GetValue<string>());
        Assert.Equal([Id(ana)], (await IncidentsAsync(client, "assignee=ana.lyst@example.com")).Select(Id));
        Assert.Single(await IncidentsAsync(client, "assignee=none"));

        var cleared = await PatchAsync(client, url, """{"assignee":null}""");
        Assert.Null((await cleared.ReadJsonAsync())["data"]!["assignee"]);
    }

    [Fact]
    public async Task Comments_FormATimeline_AndAreAudited_AndBadTextIs422()
    {
        var (client, _, ana, _) = await TwoActorsAsync();
        var url = $"/api/v1/incidents/{Id(ana)}/comments";
        var first = await client.PostJsonAsync(url, """{"text":"Looking at it <script>alert(1)</script>"}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(url, """{"text":"  Password reset done  "}""")).StatusCode);
        foreach (var body in new[] { """{"text":""}""", """{"text":"   "}""", """{}""", """{"text":5}""", $$"""{"text":"{{new string('x', 4001)}}"}""" })
        {
            var refused = await client.PostJsonAsync(url, body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            AssertViolation(await refused.ReadJsonAsync(), "text");
        }
        var comments = (await client.GetJsonAsync($"/api/v1/incidents/{Id(ana)}"))["data"]!["comments"]!.AsArray();
        Assert.Equal(["Looking at it <script>alert(1)</script>", "Password reset done"], comments.Select(c => c!["text"]!.GetValue<string>()));
        Assert.All(comments, c => Assert.StartsWith("api_key:", c!["author_id"]!.GetValue<string>(), StringComparison.Ordinal));
        var log = (await client.GetJsonAsync("/api/v1/events?action=incident.commented&limit=100"))["data"]!.AsArray();
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public async Task List_FiltersByStatusSeverityAndActor_AndPagesWithACursor()
    {
        var (client, _, ana, bob) = await TwoActorsAsync();
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, $"/api/v1/incidents/{Id(bob)}", """{"status":"acknowledged"}""")).StatusCode);
        Assert.Equal([Id(ana)], (await IncidentsAsync(client, "status=open")).Select(Id));
        Assert.Equal([Id(bob)], (await IncidentsAsync(client, "status=acknowledged")).Select(Id));
        Assert.Equal([Id(ana)], (await IncidentsAsync(client, "severity=critical,high")).Select(Id));
        Assert.Equal([Id(bob)], (await IncidentsAsync(client, "actor_id=bob")).Select(Id));

        var page1 = await client.GetJsonAsync("/api/v1/incidents?limit=1");
        Assert.Equal((true, 2), (page1["pagination"]!["has_more"]!.GetValue<bool>(), page1["pagination"]!["total"]!.GetValue<int>()));
        var page2 = await client.GetJsonAsync("/api/v1/incidents?limit=1&cursor=" + page1["pagination"]!["next_cursor"]!.GetValue<string>());
        Assert.False(page2["pagination"]!["has_more"]!.GetValue<bool>());
        Assert.NotEqual(Id(page1["data"]![0]), Id(page2["data"]![0]));
    }

    [Theory]
    [InlineData("status=closed", "status")]
    [InlineData("severity=urgent", "severity")]
    [InlineData("cursor=nope", "cursor")]
    [InlineData("limit=0", "limit")]
    public async Task List_BadFilter_Is422WithTheFieldPath(string query, string field)
    {
        var (client, _) = await NewWorkspaceAsync();
        var response = await client.GetAsync("/api/v1/incidents?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertViolation(await response.ReadJsonAsync(), field);
    }

    [Theory]
    [InlineData("""{"status":"closed"}""", "status")]
    [InlineData("""{"status":"resolved","resolution":"maybe"}""", "resolution")]
    [InlineData("""{"status":"acknowledged","resolution":"benign"}""", "resolution")]
    [InlineData("""{"note":7}""", "note")]
    [InlineData("""{"colour":"red"}""", "colour")]
    [InlineData("""{}""", "body")]
    [InlineData("""[]""", "body")]
    public async Task Update_BadInput_Is422WithTheFieldPath_AndChangesNothing(string body, string field)
    {
        var (client, _, ana, _) = await TwoActorsAsync();
        var url = $"/api/v1/incidents/{Id(ana)}";
        var response = await PatchAsync(client, url, body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertViolation(await response.ReadJsonAsync(), field);
        var stored = (await client.GetJsonAsync(url))["data"]!["incident"]!;
        Assert.Equal(("open", 0), (stored["status"]!.GetValue<string>(), (await client.GetJsonAsync("/api/v1/events?action=incident.updated"))["data"]!.AsArray().Count));
    }

    [Fact]
    public async Task Update_UnreadableOrUnknown_Is400Or404_NeverA500()
    {
        var (client, _, ana, _) = await TwoActorsAsync();
        var broken = await PatchAsync(client, $"/api/v1/incidents/{Id(ana)}", """{"status":""");
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        var text = await client.PatchAsync($"/api/v1/incidents/{Id(ana)}", new StringContent("status=resolved", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(client, "/api/v1/incidents/inc_nope", """{"status":"acknowledged"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync("/api/v1/incidents/inc_nope/comments", """{"text":"x"}""")).StatusCode);
        await client.GetJsonAsync("/api/v1/incidents/inc_nope", HttpStatusCode.NotFound);

        // Another workspace's incident does not exist for this key.
        var (other, _) = await NewWorkspaceAsync();
        await other.GetJsonAsync($"/api/v1/incidents/{Id(ana)}", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(other, $"/api/v1/incidents/{Id(ana)}", """{"status":"acknowledged"}""")).StatusCode);
    }

    /// <summary>
    /// Two units of work (two instances on PostgreSQL) group a finding of the same actor at once: the index on the open
    /// key lets one create the incident; the other's transaction fails whole and, retried, joins that incident.
    /// On SQLite write transactions are serialized, so the second simply joins.
    /// </summary>
    [Fact]
    public async Task Grouper_TwoWritersCreateTheSameIncidentAtOnce_OneIncidentHoldsBothAlerts()
    {
        var (client, ws) = await NewWorkspaceAsync();
        var factory = app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        var grouper = app.Services.GetRequiredService<IncidentGrouper>();

        async Task GroupOneAsync(ImmutableDbContext db, string alertId)
        {
            var alert = NewAlert(ws, alertId);
            db.Alerts.Add(alert);
            await grouper.GroupAsync(db, ws, [alert], [], CancellationToken.None);
            await db.SaveChangesAsync();
        }

        if (app.Provider == StorageProvider.Postgres)
        {
            await using var first = await factory.CreateDbContextAsync();
            await using var firstTx = await first.Database.BeginTransactionAsync();
            await GroupOneAsync(first, "alt_race_1");
            var second = Task.Run(async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await using var tx = await db.Database.BeginTransactionAsync();
                await GroupOneAsync(db, "alt_race_2"); // waits on the first's uncommitted key, then meets the index
                await tx.CommitAsync();
            });
            // Commit only once the second writer is blocked on the key (a lock wait in this database), so the race is real.
            await using (var probe = app.OpenStore())
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (true)
                {
                    await using var cmd = probe.CreateCommand();
                    cmd.CommandText = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
                    if (Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0) break;
                    Assert.True(clock.ElapsedMilliseconds < 10_000, "the second writer never waited on the first's incident");
                    Assert.False(second.IsCompleted, "the second writer finished without waiting on the first's incident");
                    await Task.Delay(20);
                }
            }
            await firstTx.CommitAsync();
            await Assert.ThrowsAsync<DbUpdateException>(() => second);
        }
        else
        {
            await using var first = await factory.CreateDbContextAsync();
            await GroupOneAsync(first, "alt_race_1");
        }
        await using (var retry = await factory.CreateDbContextAsync())
        {
            await using var tx = await retry.Database.BeginTransactionAsync();
            await GroupOneAsync(retry, "alt_race_2");
            await tx.CommitAsync();
        }

        var incident = Assert.Single(await IncidentsAsync(client));
        Assert.Equal(2, incident!["alert_count"]!.GetValue<int>());
        var alerts = (await client.GetJsonAsync($"/api/v1/incidents/{Id(incident)}"))["data"]!["alerts"]!.AsArray();
        Assert.Equal(["alt_race_1", "alt_race_2"], alerts.Select(a => Id(a)));
    }

    private AlertRecord NewAlert(string ws, string id) => new()
    {
        Id = id, WorkspaceId = ws, RuleId = "rul_x", RuleName = "Race", RuleType = RuleType.RepeatedAction, Severity = Severity.High,
        Status = AlertStatus.Open, Reason = "race", GroupKey = "carol", ActorId = "carol", Context = "{}", RelatedEventIds = "[]",
        FirstEventAt = Base, TriggeredAt = Base, LastSeenAt = Base, HitCount = 1,
    };

    private async Task AddMemberAsync(string workspaceId, string email)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = email, Role = Immutable.Web.Accounts.Role.Analyst, Name = "Ana Lyst" });
        await db.SaveChangesAsync();
    }
}
