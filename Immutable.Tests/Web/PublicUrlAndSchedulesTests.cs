using System.Net;
using Immutable.Tests.TestSupport;
using Immutable.Web.Hosting;
using Immutable.Web.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>Detection:StreamEvaluation switches stream evaluation only; one validated PublicUrl for every link.</summary>
public sealed class PublicUrlAndSchedulesTests
{
    [Fact]
    public async Task StreamEvaluationOff_MonitorsStillObserveOnTheirSchedule_AndSpikeRulesKeepTheirs_WhileStreamRulesWait()
    {
        using var app = new ImmutableAppFactory()
            .With("Detection:StreamEvaluation", "false")
            .With("Monitors:EvaluationSeconds", "1")
            .With("PublicUrl", "https://immutable.example/");
        var client = await app.CreateWorkspaceClientAsync();
        await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country"}""");
        var created = await client.PostJsonAsync("/api/v1/monitors", """{"name":"Volume","timeframe_minutes":60,"thresholds":[{"value":1,"severity":"high"}],"notify":"each"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var nine = new DateTime(2026, 3, 27, 9, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 2; i++)
            await client.IngestAsync(new { actor_id = "dana", action = "query.executed", occurred_at = Iso(nine.AddMinutes(i)), metadata = new { schema = "prod" } });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = NewYorkIp });
        await client.IngestAsync(new { actor_id = "jordan", action = "auth.login", ip_address = BucharestIp });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        System.Text.Json.Nodes.JsonArray observations;
        while ((observations = (await client.GetJsonAsync("/api/v1/observations"))["data"]!.AsArray()).Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no monitor evaluation ran on its schedule");
            app.Time.Advance(TimeSpan.FromSeconds(1)); // Quartz keeps the host's clock, the fake one
            await Task.Delay(100);
        }
        var observation = Assert.Single(observations)!;
        Assert.Equal("dana", observation["user_id"]!.GetValue<string>());
        Assert.Equal($"https://immutable.example/observations/{observation["id"]!.GetValue<string>()}", observation["link"]!.GetValue<string>());

        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.Exists(JobSchedules.ScheduledRules));
        Assert.True(await scheduler.Exists(JobSchedules.MonitorEvaluation));
        Assert.Empty((await client.GetJsonAsync("/api/v1/alerts"))["data"]!.AsArray()); // stream rules: stored, not evaluated
    }

    [Theory]
    [InlineData("ftp://immutable.example")]
    [InlineData("immutable.example")]
    [InlineData("/relative")]
    public void PublicUrl_ThatIsNotAnAbsoluteHttpUrl_StopsTheStart(string url)
    {
        using var app = new ImmutableAppFactory().With("PublicUrl", url);
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("PublicUrl must be an absolute http or https URL", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PublicUrl_WinsOverTheKeysItReplaces_WhichAreStillRead()
    {
        static string? Read(params (string Key, string Value)[] settings) => PublicUrlOptions.Read(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

        Assert.Equal("https://a.example", Read(("PublicUrl", "https://a.example"), ("Monitors:DashboardUrl", "https://b.example"), ("Accounts:PublicUrl", "https://c.example")));
        Assert.Equal("https://b.example", Read(("Monitors:DashboardUrl", "https://b.example"), ("Accounts:PublicUrl", "https://c.example")));
        Assert.Equal("https://c.example", Read(("Accounts:PublicUrl", "https://c.example")));
        Assert.Null(Read());
        Assert.Equal(ListenAddressExtensions.DefaultUrl, new PublicUrlOptions().Base);
    }
}
