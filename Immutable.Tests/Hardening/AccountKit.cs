using Immutable.Web.Accounts;
using Immutable.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Hardening;

/// <summary>Members made through the product's own account flows (setup link, invitation) on a real host.</summary>
internal static partial class AccountKit
{
    /// <summary>The antiforgery token of a rendered form page.</summary>
    public static string AntiforgeryToken(string html) => TokenPattern().Match(html) is { Success: true } m
        ? System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("no antiforgery token on the page");

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex TokenPattern();

    /// <summary>Signs in through the real sign-in form, as a browser does (page, then POST with its token).</summary>
    public static async Task<HttpResponseMessage> SignInThroughFormAsync(HttpClient browser, string email = "ana@example.com")
    {
        var signInPage = await browser.GetStringAsync("/account/signin");
        return await browser.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = AntiforgeryToken(signInPage),
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
    }

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
