using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using System.Net;
using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// Two acknowledgements of one open finding racing over the real host: both read it open, then one write wins and
/// the other is answered 409 with the error envelope, and the chain records one acknowledgement. The race is made
/// certain by holding SQLite's write lock from outside while both requests read, then letting them write.
/// </summary>
public sealed class TriageConcurrencyTests : IAsyncLifetime
{
    private readonly ImmutableAppFactory _app = new();
    private HttpClient _client = default!;
    private string _workspaceId = "";

    public async Task InitializeAsync()
    {
        var key = await _app.CreateKeyAsync("race");
        _workspaceId = key.WorkspaceId;
        _client = _app.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Two_racing_alert_acknowledgements_one_wins_the_other_gets_409()
    {
        var at = new DateTime(2026, 3, 27, 12, 0, 0, DateTimeKind.Utc);
        var id = "alt_" + Guid.NewGuid().ToString("D");
        await SeedAsync(db => db.Alerts.Add(new AlertRecord
        {
            Id = id, WorkspaceId = _workspaceId, RuleId = "rul_x", RuleName = "Brute force", RuleType = RuleType.RepeatedAction, Severity = Severity.High,
            Status = AlertStatus.Open, Reason = "5 failed logins", GroupKey = "u1", ActorId = "u1", Context = "{}", RelatedEventIds = "[]",
            FirstEventAt = at, TriggeredAt = at, LastSeenAt = at, HitCount = 1,
        }));

        var (winner, loser) = await RaceAsync($"/api/v1/alerts/{id}/acknowledge");

        Assert.Equal(HttpStatusCode.OK, winner.StatusCode);
        Assert.Equal("acknowledged", (await winner.ReadJsonAsync())["data"]!["status"]!.GetValue<string>());
        await AssertConflictAsync(loser, "The alert");
        Assert.Single((await _client.GetJsonAsync("/api/v1/events?action=alert.acknowledged"))["data"]!.AsArray());
        // Afterwards it is plainly acknowledged: a further acknowledgement changes nothing and succeeds.
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync($"/api/v1/alerts/{id}/acknowledge", null)).StatusCode);
    }

    [Fact]
    public async Task Two_racing_observation_acknowledgements_one_wins_the_other_gets_409()
    {
        var at = new DateTime(2026, 3, 27, 12, 0, 0, DateTimeKind.Utc);
        var id = "obs_" + Guid.NewGuid().ToString("D");
        await SeedAsync(db => db.Observations.Add(new ObservationRecord
        {
            Id = id, WorkspaceId = _workspaceId, MonitorId = "mon_x", MonitorName = "Heavy readers", Metric = "query_count", UserId = "u1",
            Severity = Severity.Medium, MetricValue = 120, Threshold = 100, WindowStart = at.AddHours(-1), WindowEnd = at, Message = "u1 ran 120 queries",
            Status = AlertStatus.Open, CreatedAt = at,
        }));

        var (winner, loser) = await RaceAsync($"/api/v1/observations/{id}/acknowledge");

        Assert.Equal(HttpStatusCode.OK, winner.StatusCode);
        Assert.Equal("acknowledged", (await winner.ReadJsonAsync())["data"]!["status"]!.GetValue<string>());
        await AssertConflictAsync(loser, "The observation");
        Assert.Single((await _client.GetJsonAsync("/api/v1/events?action=observation.acknowledged"))["data"]!.AsArray());
    }

    private async Task SeedAsync(Action<ImmutableDbContext> add)
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        add(db);
        await db.SaveChangesAsync();
    }

    /// <summary>Both requests read the finding open while the write lock is held elsewhere; then both write.</summary>
    private async Task<(HttpResponseMessage Winner, HttpResponseMessage Loser)> RaceAsync(string path)
    {
        using var blocker = _app.OpenDatabase();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }
        var first = _client.PostJsonAsync(path, """{"note":"first"}""");
        var second = _client.PostJsonAsync(path, """{"note":"second"}""");
        // Reads do not wait for the lock (WAL): both requests are now parked on their write (busy_timeout is 10 s).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.False(first.IsCompleted || second.IsCompleted, "an acknowledgement finished while the write lock was held");
        using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            await commit.ExecuteNonQueryAsync();
        }
        var responses = await Task.WhenAll(first, second);
        var winners = responses.Where(r => r.IsSuccessStatusCode).ToList();
        Assert.Single(winners);
        return (winners[0], responses.Single(r => !r.IsSuccessStatusCode));
    }

    private static async Task AssertConflictAsync(HttpResponseMessage response, string what)
    {
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = await response.ReadJsonAsync();
        Assert.Equal("conflict", error["error"]!.GetValue<string>());
        Assert.StartsWith(what + " was changed by another request", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
