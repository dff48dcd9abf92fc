using Immutable.Web.Accounts;
using Immutable.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Hardening;

/// <summary>Members made through the product's own account flows (setup link, invitation) on a real host.</summary>
internal static class AccountKit
{
    public const string Password = "correct horse battery";

    public static async Task<(Membership Membership, string UserId)> OwnerAsync(ImmutableAppFactory app, string email = "ana@example.com")
    {
        var accounts = app.Services.GetRequiredService<AccountService>();
        var token = await accounts.CreateSetupTokenAsync();
        var (user, membership, violations) = await accounts.RedeemAsync(token!, "acme", "Ana", email, Password);
        Assert.True(user is not null, string.Join("; ", violations.Select(v => v.Message)));
        return (membership!, user.Id);
    }

    public static async Task<(Membership Membership, string UserId)> MemberAsync(ImmutableAppFactory app, string workspaceId, string email, string role)
    {
        var accounts = app.Services.GetRequiredService<AccountService>();
        var (token, violations) = await accounts.InviteAsync(workspaceId, email, "Member", role);
        Assert.Empty(violations);
        var (user, membership, redeemViolations) = await accounts.RedeemAsync(token!, "", "Member", email, Password);
        Assert.True(user is not null, string.Join("; ", redeemViolations.Select(v => v.Message)));
        return (membership!, user.Id);
    }

    public static long CountEvents(ImmutableAppFactory app, string action)
    {
        using var db = app.OpenDatabase();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events WHERE action = $a";
        cmd.Parameters.AddWithValue("$a", action);
        return (long)cmd.ExecuteScalar()!;
    }
}
