using Immutable.Web.Accounts;
using System.Net;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Immutable.Web.Delivery.Email;

/// <summary>
/// Sends queued findings to each workspace's owners and admins. A workspace gets at most one email per recipient
/// per <see cref="EmailOptions.DigestSeconds"/>: one finding is one email, several are one digest. One SMTP
/// connection per send batch, never shared across threads. A failed send leaves the items queued for the next round.
/// With several instances, a workspace's email is sent by one of them: the throttle is a lease per workspace
/// (<c>email:&lt;workspace&gt;</c>, <see cref="LeaseStore.TryTakeExpiredAsync"/>) that an instance takes before reading
/// the workspace's queued items, held while it sends, then set to end one digest period after the send; it is
/// taken again, by any instance, only once that has passed. An instance that dies while sending leaves the items
/// unsent and the lease to expire (<see cref="SendLease"/>); another instance then sends them.
/// </summary>
public sealed partial class EmailSender(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IOptions<EmailOptions> options,
    LeaseStore leases,
    TimeProvider time,
    ILogger<EmailSender> logger) : BackgroundService, IDomainEventSubscriber
{
    /// <summary>How long a workspace's email lease lasts while its email is being sent (beyond it, another instance may send).</summary>
    public static readonly TimeSpan SendLease = TimeSpan.FromMinutes(5);

    private static string LeaseName(string workspaceId) => "email:" + workspaceId;
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>New findings may have queued email: look now rather than at the next poll (the digest rule still holds).</summary>
    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        if (domainEvent is AlertsCommitted { Created.Count: > 0 } or ObservationsCommitted or AnchorCreated && _wake.CurrentCount == 0) _wake.Release();
        return ValueTask.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            LogDisabled();
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSendFailed(ex);
            }
            await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>Sends what is due; returns the number of emails sent.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var digest = TimeSpan.FromSeconds(o.DigestSeconds);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaces = await db.EmailItems.Where(i => i.SentAt == null).Select(i => i.WorkspaceId).Distinct().ToListAsync(ct);
        var batches = new List<(List<EmailItemRecord> Items, List<WorkspaceMemberRecord> Recipients)>();
        var held = new List<string>();
        try
        {
            foreach (var workspace in workspaces.Order(StringComparer.Ordinal))
            {
                // Within a digest period of the last send (by any instance), or being sent by another instance: not now.
                if (!await leases.TryTakeExpiredAsync(LeaseName(workspace), now + (digest > SendLease ? digest : SendLease), ct)) continue;
                held.Add(workspace);
                // Read under the lease: what another instance sent before it took over is marked sent by now.
                var items = await db.EmailItems.Where(i => i.SentAt == null && i.WorkspaceId == workspace).OrderBy(i => i.RowId).ToListAsync(ct);
                if (items.Count == 0) continue;
                var recipients = await db.WorkspaceMembers.AsNoTracking()
                    .Where(m => m.WorkspaceId == workspace && (m.Role == Role.Owner || m.Role == Role.Admin)).ToListAsync(ct);
                batches.Add((items, recipients));
            }
            var sent = 0;
            if (batches.Count > 0)
            {
                using var smtp = await ConnectAsync(o, ct);
                foreach (var (items, recipients) in batches)
                {
                    foreach (var recipient in recipients)
                    {
                        await smtp.SendAsync(Compose(o.From, recipient, items), ct);
                        sent++;
                    }
                    var at = Timestamps.ToMicroseconds(time.GetUtcNow());
                    foreach (var item in items) item.SentAt = at; // also when nobody is owner/admin: nothing to keep them for
                    await db.SaveChangesAsync(ct);
                    // The throttle: the next email to this workspace one digest period after this one started.
                    await leases.SetExpiryAsync(LeaseName(items[0].WorkspaceId), now + digest, ct);
                    held.Remove(items[0].WorkspaceId);
                    if (recipients.Count > 0) await NotificationMarks.MarkNotifiedAsync(db, items.Select(i => i.RecordId).ToList(), at);
                }
                await smtp.DisconnectAsync(quit: true, ct);
            }
            return sent;
        }
        finally
        {
            // Taken but not sent (nothing left to send, or the send failed): free again for the next round.
            foreach (var workspace in held) await leases.ReleaseAsync(LeaseName(workspace), CancellationToken.None);
        }
    }

    private static async Task<SmtpClient> ConnectAsync(EmailOptions o, CancellationToken ct)
    {
        var smtp = new SmtpClient();
        await smtp.ConnectAsync(o.Host!, o.Port, o.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.Auto => SecureSocketOptions.Auto,
        }, ct);
        if (!string.IsNullOrEmpty(o.Username)) await smtp.AuthenticateAsync(o.Username, o.Password ?? "", ct);
        return smtp;
    }

    /// <summary>The settings page's "send test email": null when sent, else what went wrong (for the admin to fix).</summary>
    public async Task<string?> SendTestAsync(string toEmail, string? toName, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return "Email is disabled: set Email:Host (and Port, Security, From) in appsettings.json or the environment.";
        try
        {
            using var smtp = await ConnectAsync(o, ct);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(o.From));
            message.To.Add(new MailboxAddress(toName ?? toEmail, toEmail));
            message.Subject = "Immutable: test email";
            message.Body = new TextPart("plain") { Text = "This is a test from Immutable's settings page. Alert and observation emails will arrive like this one." };
            await smtp.SendAsync(message, ct);
            await smtp.DisconnectAsync(quit: true, ct);
            return null;
        }
        catch (Exception ex) when (ex is MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or System.Net.Sockets.SocketException or IOException or MailKit.Security.AuthenticationException or FormatException)
        {
            return $"Could not send: {ex.Message}";
        }
    }

    /// <summary>Plain text and HTML; every value from events is HTML-encoded (actor names are untrusted input).</summary>
    public static MimeMessage Compose(string from, WorkspaceMemberRecord to, IReadOnlyList<EmailItemRecord> items)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(new MailboxAddress(to.Name ?? "", to.Email));
        var first = items[0];
        message.Subject = items.Count == 1
            ? $"[Immutable] {first.Severity.ToUpperInvariant()}: {Shorten(first.Reason, 120)}"
            : $"[Immutable] {items.Count} new findings ({string.Join(", ", items.GroupBy(i => i.Severity).Select(g => $"{g.Count()} {g.Key}"))})";

        var text = new StringBuilder();
        var html = new StringBuilder("<div style=\"font-family:sans-serif\">");
        if (items.Count > 1) html.Append("<p>").Append(items.Count).Append(" findings since the last email:</p>");
        foreach (var i in items)
        {
            text.Append(i.Severity.ToUpperInvariant()).Append(' ').Append(i.Kind).Append(": ").AppendLine(i.Title)
                .AppendLine(i.Reason);
            if (i.Actor is not null) text.Append("Actor: ").AppendLine(i.Actor);
            if (i.Country is not null) text.Append("Country: ").AppendLine(i.Country);
            text.AppendLine(i.Link).AppendLine();

            html.Append("<div style=\"margin:0 0 16px\"><b>").Append(WebUtility.HtmlEncode(i.Severity.ToUpperInvariant())).Append("</b> ")
                .Append(WebUtility.HtmlEncode(i.Kind)).Append(": ").Append(WebUtility.HtmlEncode(i.Title)).Append("<br>")
                .Append(WebUtility.HtmlEncode(i.Reason)).Append("<br>");
            if (i.Actor is not null) html.Append("Actor: ").Append(WebUtility.HtmlEncode(i.Actor)).Append("<br>");
            if (i.Country is not null) html.Append("Country: ").Append(WebUtility.HtmlEncode(i.Country)).Append("<br>");
            html.Append("<a href=\"").Append(WebUtility.HtmlEncode(i.Link)).Append("\">Open in Immutable</a></div>");
        }
        html.Append("</div>");
        message.Body = new BodyBuilder { TextBody = text.ToString(), HtmlBody = html.ToString() }.ToMessageBody();
        return message;
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    [LoggerMessage(LogLevel.Warning, "Email is disabled: no Email:Host configured. Alerts and observations are not emailed.")]
    private partial void LogDisabled();

    [LoggerMessage(LogLevel.Error, "Sending email failed; the items stay queued for the next round.")]
    private partial void LogSendFailed(Exception ex);
}
