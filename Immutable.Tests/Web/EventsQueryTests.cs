using System.Net;
using Immutable.Tests.TestSupport;
using Immutable.Web.Events;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

[Trait("Postgres", "run")]
public class EventsQueryTests(ImmutableAppFactory app) : IClassFixture<ImmutableAppFactory>
{
    private Task<HttpClient> NewWorkspaceAsync() => app.CreateWorkspaceClientAsync("ws-" + Guid.NewGuid().ToString("N")[..8]);

    private static IEnumerable<string> Actions(System.Text.Json.Nodes.JsonNode list) =>
        list["data"]!.AsArray().Select(e => e!["action"]!.GetValue<string>());

    [Fact]
    public async Task List_DefaultsToNewestFirst_AndAscForChronological()
    {
        var client = await NewWorkspaceAsync();
        foreach (var action in new[] { "a.one", "a.two", "a.three" }) await client.IngestAsync(new { actor_id = "u", action });
        Assert.Equal(["a.three", "a.two", "a.one"], Actions(await client.GetJsonAsync("/api/v1/events")));
        Assert.Equal(["a.one", "a.two", "a.three"], Actions(await client.GetJsonAsync("/api/v1/events?order=asc")));
    }

    [Fact]
    public async Task List_EachFilter_SelectsOnlyMatchingEvents()
    {
        var client = await NewWorkspaceAsync();
        await client.IngestAsync(new { actor_id = "alice", action = "invoice.created", resource = "invoice", resource_id = "inv_1", tenant_id = "t1", session_id = "s1", actor_name = "Alice Smith",
            targets = new[] { new { type = "customer", id = "c1" } }, metadata = new { note = "Quarterly REVIEW" } });
        await client.IngestAsync(new { actor_id = "bob", action = "invoice.paid", resource = "invoice", resource_id = "inv_2", tenant_id = "t2", session_id = "s2",
            targets = new[] { new { type = "customer", id = "c2" } } });
        await client.IngestAsync(new { actor_id = "bob", action = "invoices.exported", resource = "report", tenant_id = "t2", session_id = "s3",
            targets = new[] { new { type = "team", id = "c1" } } });
        await client.IngestAsync(new { actor_id = "carol", action = "auth.login" });

        async Task<string[]> Query(string q) => Actions(await client.GetJsonAsync("/api/v1/events?order=asc&" + q)).ToArray();

        Assert.Equal(["invoice.paid", "invoices.exported"], await Query("actor_id=bob"));
        Assert.Equal(["invoice.paid"], await Query("action=invoice.paid"));
        Assert.Equal(["invoice.created", "invoice.paid"], await Query("action=invoice.*"));
        Assert.Equal(["invoice.created", "invoice.paid", "invoices.exported", "auth.login"], await Query("action=*"));
        Assert.Equal(["invoice.created", "invoice.paid"], await Query("resource=invoice"));
        Assert.Equal(["invoice.paid"], await Query("resource_id=inv_2"));
        Assert.Equal(["invoice.paid", "invoices.exported"], await Query("tenant_id=t2"));
        Assert.Equal(["invoices.exported"], await Query("session_id=s3"));
        Assert.Equal(["invoice.created", "invoice.paid"], await Query("target_type=customer"));
        Assert.Equal(["invoice.created", "invoices.exported"], await Query("target_id=c1"));
        Assert.Equal(["invoice.created"], await Query("target_type=customer&target_id=c1"));
        Assert.Equal(["invoice.created"], await Query("search=alice%20smith"));
        Assert.Equal(["invoice.created"], await Query("search=quarterly%20review"));
        Assert.Equal(["auth.login"], await Query("search=AUTH"));
        Assert.Empty(await Query("search=100%25"));
        Assert.Equal(["invoice.paid"], await Query("actor_id=bob&tenant_id=t2&resource=invoice"));
    }

    [Fact]
    public async Task List_FromTo_AreInclusiveOnCreatedAt()
    {
        var client = await NewWorkspaceAsync();
        var start = app.Time.GetUtcNow();
        await client.IngestAsync(new { actor_id = "u", action = "t.zero" });
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await client.IngestAsync(new { actor_id = "u", action = "t.one" });
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await client.IngestAsync(new { actor_id = "u", action = "t.two" });

        static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var list = await client.GetJsonAsync($"/api/v1/events?order=asc&from={Iso(start.AddMinutes(1))}&to={Iso(start.AddMinutes(2))}");
        Assert.Equal(["t.one", "t.two"], Actions(list));
        Assert.Equal(2, list["pagination"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task List_CursorPages_AreCompleteAndStableUnderConcurrentInserts()
    {
        var client = await NewWorkspaceAsync();
        for (var i = 0; i < 30; i++) await client.IngestAsync(new { actor_id = "pager", action = $"p.e{i}" });

        var seen = new List<string>();
        string? cursor = null;
        var inserted = 0;
        do
        {
            var page = await client.GetJsonAsync($"/api/v1/events?actor_id=pager&limit=7{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(Actions(page));
            Assert.True(page["data"]!.AsArray().Count <= 7);
            cursor = page["pagination"]!["next_cursor"]?.GetValue<string>();
            Assert.Equal(cursor is not null, page["pagination"]!["has_more"]!.GetValue<bool>());
            // New events arrive while the client pages backwards; they must not shift or repeat pages.
            await client.IngestAsync(new { actor_id = "pager", action = $"p.new{inserted++}" });
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 30).Reverse().Select(i => $"p.e{i}"), seen);
    }

    [Fact]
    public async Task List_Limit_DefaultsTo25_ClampsTo100_AndRejectsNonsense()
    {
        var client = await NewWorkspaceAsync();
        await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 100).Select(_ => new { actor_id = "u", action = "x" }) });
        await client.PostJsonAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 10).Select(_ => new { actor_id = "u", action = "x" }) });
        var page = await client.GetJsonAsync("/api/v1/events");
        Assert.Equal(25, page["data"]!.AsArray().Count);
        Assert.Equal(110, page["pagination"]!["total"]!.GetValue<int>());
        Assert.Equal(100, (await client.GetJsonAsync("/api/v1/events?limit=500"))["data"]!.AsArray().Count);
        var bad = await client.GetJsonAsync("/api/v1/events?limit=0&cursor=notacursor&order=sideways&from=yesterday", HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["cursor", "from", "limit", "order"], bad["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task TwoWorkspaces_NeverSeeEachOthersEvents()
    {
        var a = await NewWorkspaceAsync();
        var b = await NewWorkspaceAsync();
        var idA = await a.IngestAsync(new { actor_id = "shared-actor", action = "secret.read", session_id = "s", tenant_id = "t", targets = new[] { new { type = "doc", id = "1" } } });
        var idB = await b.IngestAsync(new { actor_id = "shared-actor", action = "secret.read", session_id = "s", tenant_id = "t", targets = new[] { new { type = "doc", id = "1" } } });

        foreach (var q in new[] { "", "?actor_id=shared-actor", "?action=secret.*", "?session_id=s", "?tenant_id=t", "?target_type=doc&target_id=1", "?search=secret" })
        {
            var listA = await a.GetJsonAsync("/api/v1/events" + q);
            Assert.Equal([idA], listA["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
            Assert.Equal(1, listA["pagination"]!["total"]!.GetValue<int>());
        }
        await a.GetJsonAsync($"/api/v1/events/{idB}", HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/api/v1/events/{idA}", HttpStatusCode.NotFound);
        var verifyA = (await a.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.Equal(1, verifyA["events_checked"]!.GetValue<int>());
        Assert.Equal(1, verifyA["first_sequence"]!.GetValue<int>());
    }

    [Fact]
    [Trait("SqliteOnly", "true")] // SQLite's EXPLAIN QUERY PLAN
    public async Task ActorTimelineQuery_UsesTheActorIndex_NotATableScan()
    {
        using var scope = app.Services.CreateScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var query = new EventQuery { ActorId = "user_1", Limit = 50 };
        var sql = query.Page(query.Filter(db, "ws_x")).ToQueryString();

        var plan = ExplainQueryPlan(sql);
        Assert.Contains("USING INDEX IX_events_workspace_id_actor_id_sequence", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN e\n", plan + "\n", StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("SqliteOnly", "true")] // SQLite's EXPLAIN QUERY PLAN
    public async Task ActionPrefixQuery_UsesTheActionIndexRange()
    {
        using var scope = app.Services.CreateScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var query = new EventQuery { Action = "invoice.*" };
        var plan = ExplainQueryPlan(query.Page(query.Filter(db, "ws_x")).ToQueryString());
        Assert.Contains("IX_events_workspace_id_action_sequence (workspace_id=? AND action>? AND action<?)", plan, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("SqliteOnly", "true")] // SQLite's EXPLAIN QUERY PLAN
    [InlineData("actor_id", "IX_events_workspace_id_actor_id_sequence")]
    [InlineData("action", "IX_events_workspace_id_action_sequence")]
    [InlineData("session_id", "IX_events_workspace_id_session_id_sequence")]
    [InlineData("tenant_id", "IX_events_workspace_id_tenant_id_sequence")]
    public async Task FilteredList_PageAndTotal_WalkItsIndex_WithoutSortingTheMatches(string filter, string index)
    {
        using var scope = app.Services.CreateScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        foreach (var cursor in new[] { "", "&cursor=" + new Immutable.Web.Api.CursorKey(500, Guid.NewGuid().ToString("D")).Encode() })
        {
            var query = Query($"{filter}=v{cursor}");
            var page = ExplainQueryPlan(EventReader.PageQuery(db, "ws_x", query, null).ToQueryString());
            Assert.Contains($"USING INDEX {index} (workspace_id=? AND {filter}=?", page, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", page, StringComparison.Ordinal);
            var total = ExplainQueryPlan(EventReader.CountQuery(db, "ws_x", query).ToQueryString());
            // Counted on an index of the filter (the planner may prefer a sibling with the same prefix), never the table.
            Assert.Matches($@"^SEARCH e USING (COVERING )?INDEX IX_events_workspace_id_{filter}_\w+ \(workspace_id=\? AND {filter}=\?\)$", total);
        }
    }

    [Fact]
    [Trait("SqliteOnly", "true")] // SQLite's EXPLAIN QUERY PLAN
    public async Task ActionPrefixPage_IsOneShortIndexWalkPerAction_OnlyTheMergedPagesAreSorted()
    {
        using var scope = app.Services.CreateScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var query = Query("action=document.*&cursor=" + new Immutable.Web.Api.CursorKey(500, Guid.NewGuid().ToString("D")).Encode());
        var plan = ExplainQueryPlan(EventReader.PageQuery(db, "ws_x", query, ["document.deleted", "document.updated", "document.viewed"]).ToQueryString());
        var walks = plan.Split('\n').Count(l => l.Contains("USING INDEX IX_events_workspace_id_action_sequence (workspace_id=? AND action=? AND sequence<?)", StringComparison.Ordinal));
        Assert.True(walks == 3, plan);
        // Besides the walks, only each walk's page (51 rows at most) is read again and sorted for the merge: one SCAN
        // line per page, none of the events table itself.
        Assert.True(plan.Split('\n').Count(l => l.StartsWith("SCAN ", StringComparison.Ordinal)) == 3, plan);
        Assert.True(plan.Split('\n').Count(l => l.StartsWith("CO-ROUTINE ", StringComparison.Ordinal)) == 3, plan);
    }

    [Fact]
    public async Task ActionPrefix_PagesThroughEveryActionUnderIt_InSequenceOrder_BothDirections()
    {
        var client = await NewWorkspaceAsync();
        string[] actions = ["doc.viewed", "doc.deleted", "docs.other", "doc.a.b", "auth.login", "doc.updated", "doc"];
        var events = Enumerable.Range(0, 70).Select(i => new { actor_id = $"u{i % 3}", action = actions[i % actions.Length], resource_id = $"r{i}" }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/events/batch", new { events })).StatusCode);
        foreach (var (q, order) in new[] { ("action=doc.*", "desc"), ("action=doc.*", "asc"), ("action=doc.*&actor_id=u1", "desc") })
        {
            var expected = events.Where(e => e.action.StartsWith("doc.", StringComparison.Ordinal) && (!q.Contains("actor_id", StringComparison.Ordinal) || e.actor_id == "u1"))
                .Select(e => e.resource_id).ToList();
            if (order == "desc") expected.Reverse();
            var seen = new List<string>();
            string? cursor = null;
            do
            {
                var page = await client.GetJsonAsync($"/api/v1/events?{q}&order={order}&limit=7{(cursor is null ? "" : "&cursor=" + cursor)}");
                seen.AddRange(page["data"]!.AsArray().Select(e => e!["resource_id"]!.GetValue<string>()));
                Assert.Equal(expected.Count, page["pagination"]!["total"]!.GetValue<int>());
                Assert.True(page["pagination"]!["total_exact"]!.GetValue<bool>());
                cursor = page["pagination"]!["next_cursor"]?.GetValue<string>();
            }
            while (cursor is not null);
            Assert.Equal(expected, seen);
        }
        var none = await client.GetJsonAsync("/api/v1/events?action=nothing.*");
        Assert.Empty(none["data"]!.AsArray());
        Assert.Equal(0, none["pagination"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Total_IsExactUpToTheCap_ThenTheCapMarkedInexact()
    {
        var name = "ws-" + Guid.NewGuid().ToString("N")[..8];
        var client = await app.CreateWorkspaceClientAsync(name);
        var ws = (await app.CreateKeyAsync(name)).WorkspaceId;
        var log = app.Services.GetRequiredService<IEventLog>();
        var contents = Enumerable.Range(0, Immutable.Web.Api.Paging.ExactTotalUpTo + 5).Select(i => new Immutable.Domain.Events.EventContent
        {
            Id = Guid.NewGuid(), ActorId = i < 10 ? "few" : "many", Action = "bulk.loaded",
        }).ToList();
        foreach (var chunk in contents.Chunk(2000)) await log.AppendAsync(ws, chunk, default);

        var all = (await client.GetJsonAsync("/api/v1/events?limit=1"))["pagination"]!;
        Assert.Equal(Immutable.Web.Api.Paging.ExactTotalUpTo, all["total"]!.GetValue<int>());
        Assert.False(all["total_exact"]!.GetValue<bool>());
        var few = (await client.GetJsonAsync("/api/v1/events?actor_id=few&limit=1"))["pagination"]!;
        Assert.Equal(10, few["total"]!.GetValue<int>());
        Assert.True(few["total_exact"]!.GetValue<bool>());
    }

    private static EventQuery Query(string queryString)
    {
        var violations = new List<Immutable.Web.Api.Violation>();
        var query = EventQuery.FromRequest(new Microsoft.AspNetCore.Http.QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(queryString)), violations);
        Assert.Empty(violations);
        return query!;
    }

    private string ExplainQueryPlan(string sql)
    {
        // ToQueryString declares parameters with .param set; EXPLAIN needs only the statement (values don't change the plan).
        var statement = string.Join('\n', sql.Split('\n').Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
        using var connection = app.OpenDatabase();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + statement;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(statement, @"@\w+").Select(m => m.Value).Distinct())
            cmd.Parameters.AddWithValue(name, statement.Contains("LIMIT " + name, StringComparison.Ordinal) ? 51 : "x");
        using var reader = cmd.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(3));
        return string.Join('\n', lines);
    }
}
