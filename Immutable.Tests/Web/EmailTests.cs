using Immutable.Tests.TestSupport;
using Immutable.Web.Delivery.Email;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Immutable.Tests.TestSupport.DetectionKit;

namespace Immutable.Tests.Web;

/// <summary>Alert email through a real SMTP server process.</summary>
[Trait("Postgres", "run")]
public sealed class EmailTests : IAsyncLifetime
{
    private SmtpServer _smtp = null!;
    private ImmutableAppFactory _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpServer.StartAsync();
        _app = new ImmutableAppFactory()
            .WithSmtp(_smtp).With("Email:PollSeconds", "1").With("Email:From", "Immutable <alerts@immutable.test>")
            .With("Monitors:DashboardUrl", "https://immutable.example");
    }

    public Task DisposeAsync()
    {
        _app.Dispose();
        _smtp.Dispose();
        return Task.CompletedTask;
    }

    private async Task AddMembersAsync(string workspaceId)
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        db.WorkspaceMembers.AddRange(
            new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = "owner@acme.io", Name = "Olive Owner", Role = Immutable.Web.Accounts.Role.Owner },
            new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = "admin@acme.io", Role = Immutable.Web.Accounts.Role.Admin },
            new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = "analyst@acme.io", Role = Immutable.Web.Accounts.Role.Analyst });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Alerts_AreEmailedToOwnersAndAdmins_AndABurstBecomesOneDigestPerRecipient()
    {
        var key = await _app.CreateKeyAsync("acme");
        await AddMembersAsync(key.WorkspaceId);
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        Assert.Equal("configured", (await client.GetJsonAsync("/readyz"))["email"]!.GetValue<string>());
        await client.CreateRuleAsync("""{"name":"New country","rule_type":"new_country","channels":["email"]}""");

        await client.IngestAsync(new { actor_id = "jordan", actor_name = "Jordan Lee", action = "auth.login", ip_address = NewYorkIp });
        await client.IngestAsync(new { actor_id = "jordan", actor_name = "Jordan Lee", action = "auth.login", ip_address = BucharestIp });
        var first = await _smtp.WaitForMessagesAsync(2);
        Assert.Contains(first, m => m.Contains("To: Olive Owner <owner@acme.io>", StringComparison.Ordinal));
        Assert.Contains(first, m => m.Contains("To: admin@acme.io", StringComparison.Ordinal));
        Assert.DoesNotContain(first, m => m.Contains("analyst@acme.io", StringComparison.Ordinal));
        var mail = first[0];
        Assert.Contains("Subject: [Immutable] MEDIUM: Actor jordan logged in from RO", mail, StringComparison.Ordinal);
        Assert.Contains("Country: RO", mail, StringComparison.Ordinal);
        Assert.Contains("Jordan Lee (jordan)", mail, StringComparison.Ordinal);
        Assert.Contains("https://immutable.example/alerts/alt_", mail, StringComparison.Ordinal);
        Assert.Contains("text/html", mail, StringComparison.Ordinal);
        var alertId = (await client.GetJsonAsync("/api/v1/alerts?rule_type=new_country"))["data"]![0]!["id"]!.GetValue<string>();
        await client.WaitForFieldAsync($"/api/v1/alerts/{alertId}", "notified_at");

        // Three more alerts inside the digest minute: held back, then one digest per recipient.
        foreach (var actor in new[] { "sam", "kim", "lee" })
        {
            await client.IngestAsync(new { actor_id = actor, action = "auth.login", ip_address = NewYorkIp });
            await client.IngestAsync(new { actor_id = actor, action = "auth.login", ip_address = SydneyIp });
        }
        await client.SettleAsync(_app);
        await Task.Delay(2500);
        Assert.Equal(2, _smtp.Messages.Count);
        _app.Time.Advance(TimeSpan.FromSeconds(61));
        var all = await _smtp.WaitForMessagesAsync(4);
        await Task.Delay(1500);
        Assert.Equal(4, _smtp.Messages.Count);
        Assert.All(all.Skip(2), m => Assert.Contains("Subject: [Immutable] 3 new findings (3 medium)", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Observations_OfEmailMonitors_AreEmailedWithTheirMessageAndLink()
    {
        var key = await _app.CreateKeyAsync("data");
        await AddMembersAsync(key.WorkspaceId);
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var created = await client.PostJsonAsync("/api/v1/monitors", """{"name":"Query volume","thresholds":[{"value":1,"severity":"high"}],"channels":["email"]}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await client.PostJsonAsync("/api/v1/events/batch", """{"events":[{"actor_id":"dana","action":"query.run","occurred_at":"2026-03-27T10:00:00Z"},{"actor_id":"dana","action":"query.run","occurred_at":"2026-03-27T10:01:00Z"}]}""");
        await _app.Services.GetRequiredService<Immutable.Web.Monitors.MonitorEvaluator>().EvaluateAsync(default);
        var mails = await _smtp.WaitForMessagesAsync(2);
        Assert.All(mails, m => Assert.Contains("Greater than 1 query events in the last 1 hour.", m, StringComparison.Ordinal));
        Assert.All(mails, m => Assert.Contains("https://immutable.example/observations/obs_", m, StringComparison.Ordinal));
    }

    [Fact]
    public void Compose_EncodesUntrustedValuesInHtml()
    {
        var item = new EmailItemRecord
        {
            WorkspaceId = "ws", Kind = "alert", RecordId = "alt_1", Severity = "high", Title = "t", Reason = "Actor <script>alert(1)</script> did x",
            Actor = "<img src=x onerror=alert(1)>", Link = "https://immutable.example/alerts/alt_1",
        };
        var message = EmailSender.Compose("Immutable <a@b.c>", new WorkspaceMemberRecord { WorkspaceId = "ws", Email = "o@acme.io", Role = Immutable.Web.Accounts.Role.Owner }, [item]);
        Assert.DoesNotContain("<script>", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", message.HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutSmtp_TheEmailChannelReportsItselfDisabled()
    {
        using var app = new ImmutableAppFactory();
        Assert.Equal("disabled", (await app.CreateClient().GetJsonAsync("/readyz"))["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Anchors_AreEmailedToOwnersAndAdmins_AsAWitnessOutsideTheDatabase()
    {
        using var app = new ImmutableAppFactory()
            .WithSmtp(_smtp).With("Email:PollSeconds", "1").With("Email:From", "Immutable <alerts@immutable.test>")
            .With("Integrity:AnchorPeriodMinutes", "60");
        var key = await app.CreateKeyAsync("acme");
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
        {
            db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = key.WorkspaceId, Email = "owner@acme.io", Role = Immutable.Web.Accounts.Role.Owner });
            await db.SaveChangesAsync();
        }
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        await client.IngestAsync(new { actor_id = "u", action = "doc.read" });
        app.Time.Advance(TimeSpan.FromHours(2));
        var anchor = Assert.Single(await app.Services.GetRequiredService<Immutable.Web.Integrity.AnchorWriter>().AnchorDueAsync(key.WorkspaceId, CancellationToken.None));
        var mail = (await _smtp.WaitForMessagesAsync(1)).Single(m => m.Contains(anchor.MerkleRoot, StringComparison.Ordinal));
        Assert.Contains("owner@acme.io", mail, StringComparison.Ordinal);
        Assert.Contains(anchor.Signature, mail.Replace("=\r\n", "", StringComparison.Ordinal).Replace("=\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var stored = (await client.GetJsonAsync($"/api/v1/anchors/{anchor.Id}"))["data"]!;
        Assert.Equal("submitted", stored["status"]!.GetValue<string>());
        Assert.Contains(stored["witnesses"]!.AsArray(), w => w!["witness"]!.GetValue<string>() == "email");
    }
}
