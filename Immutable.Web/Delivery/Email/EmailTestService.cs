using System.Text.Json.Nodes;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;

namespace Immutable.Web.Delivery.Email;

/// <summary>What a test email did: delivered or not, and the sentence to show.</summary>
public sealed record EmailTestOutcome(bool Delivered, string Message);

/// <summary>
/// The settings page's "send a test email": admins and owners send one to themselves through the configured SMTP
/// server; the attempt and whether it was delivered are recorded in the workspace's chain.
/// </summary>
public sealed class EmailTestService(EmailSender sender, AuditTrail audit)
{
    public async Task<Result<EmailTestOutcome>> SendTestAsync(WorkspacePrincipal who, string? toName, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        if (who.Email is not { } to) return Problem.Invalid("email", "only a signed-in member has an address to send the test to");
        var error = await sender.SendTestAsync(to, toName, ct);
        var outcome = new EmailTestOutcome(error is null, error ?? $"Sent to {to}. Check the inbox (and spam).");
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "email.test_sent", "email", to, null, new JsonObject { ["delivered"] = outcome.Delivered }, ct);
        return outcome;
    }
}
