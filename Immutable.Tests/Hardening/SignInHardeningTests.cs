using System.Net;
using System.Text.RegularExpressions;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Hardening;

/// <summary>Item 5: sign-in cannot be turned against its owner; sessions end on the server.</summary>
public sealed partial class SignInHardeningTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private AccountService Accounts => _app.Services.GetRequiredService<AccountService>();

    [Fact]
    public async Task LockoutFromOneAddress_DoesNotRefuseTheRightPasswordFromAnother_AndIsAudited()
    {
        await AccountKit.OwnerAsync(_app);
        for (var i = 0; i < 4; i++)
            Assert.IsType<SignInResult.Invalid>(await Accounts.SignInAsync("ana@example.com", "wrong " + i, "203.0.113.7"));
        Assert.IsType<SignInResult.LockedOut>(await Accounts.SignInAsync("ana@example.com", "wrong 4", "203.0.113.7"));
        // Locked for that address, even with the right password...
        Assert.IsType<SignInResult.LockedOut>(await Accounts.SignInAsync("ana@example.com", AccountKit.Password, "203.0.113.7"));
        // ...but not for the owner elsewhere.
        Assert.IsType<SignInResult.Success>(await Accounts.SignInAsync("ana@example.com", AccountKit.Password, "198.51.100.20"));

        Assert.Equal(5, AccountKit.CountEvents(_app, "account.sign_in_failed"));
        Assert.Equal(1, AccountKit.CountEvents(_app, "account.locked_out"));
        Assert.Equal(1, AccountKit.CountEvents(_app, "account.signed_in"));
        // The lockout ends after its time; a second one from the same address lasts twice as long.
        _app.Time.Advance(TimeSpan.FromMinutes(16));
        Assert.IsType<SignInResult.Success>(await Accounts.SignInAsync("ana@example.com", AccountKit.Password, "203.0.113.7"));
    }

    [Fact]
    public async Task LockoutLengthDoublesForARepeatOffender()
    {
        await AccountKit.OwnerAsync(_app);
        var first = await LockAsync();
        Assert.Equal(TimeSpan.FromMinutes(15), first - _app.Time.GetUtcNow().UtcDateTime);
        _app.Time.Advance(TimeSpan.FromMinutes(16));
        var second = await LockAsync();
        Assert.Equal(TimeSpan.FromMinutes(30), second - _app.Time.GetUtcNow().UtcDateTime);

        async Task<DateTime> LockAsync()
        {
            SignInResult result = new SignInResult.Invalid();
            for (var i = 0; i < 5; i++) result = await Accounts.SignInAsync("ana@example.com", "wrong", "203.0.113.7");
            return Assert.IsType<SignInResult.LockedOut>(result).Until;
        }
    }

    [Fact]
    public async Task ManyFailuresFromOneAddress_AcrossAccounts_BackOffExponentially()
    {
        for (var i = 0; i < 10; i++)
            Assert.IsType<SignInResult.Invalid>(await Accounts.SignInAsync($"nobody{i}@example.com", "x", "203.0.113.9"));
        // Past 10 failures the address waits 2^(n − 10) s after its last failure; an attempt inside that is refused unchecked.
        var throttled = Assert.IsType<SignInResult.Throttled>(await Accounts.SignInAsync("nobody10@example.com", "x", "203.0.113.9"));
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Until - _app.Time.GetUtcNow().UtcDateTime);
        _app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<SignInResult.Invalid>(await Accounts.SignInAsync("nobody11@example.com", "x", "203.0.113.9"));
        var longer = Assert.IsType<SignInResult.Throttled>(await Accounts.SignInAsync("nobody12@example.com", "x", "203.0.113.9"));
        Assert.Equal(TimeSpan.FromSeconds(2), longer.Until - _app.Time.GetUtcNow().UtcDateTime);
        _app.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.IsType<SignInResult.Invalid>(await Accounts.SignInAsync("nobody13@example.com", "x", "203.0.113.9"));
        Assert.Equal(TimeSpan.FromSeconds(4), Assert.IsType<SignInResult.Throttled>(await Accounts.SignInAsync("x@example.com", "x", "203.0.113.9")).Until - _app.Time.GetUtcNow().UtcDateTime);
        // Another address is unaffected.
        Assert.IsType<SignInResult.Invalid>(await Accounts.SignInAsync("nobody14@example.com", "x", "198.51.100.1"));
    }

    [Fact]
    public async Task GuessingOneAccountFromManyAddresses_IsSlowedExponentially_WithoutRefusingItsOwner()
    {
        await AccountKit.OwnerAsync(_app);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 8; i++) delays.Add((await Accounts.SignInAsync("ana@example.com", "wrong", $"203.0.113.{i + 1}")).Delay);
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero,
            TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], delays);
        var owner = await Accounts.SignInAsync("ana@example.com", AccountKit.Password, "198.51.100.20");
        Assert.IsType<SignInResult.Success>(owner);
        Assert.Equal(TimeSpan.Zero, owner.Delay);
    }

    [Fact]
    public async Task Lockout_EndsTheAccountsOpenSessions()
    {
        await AccountKit.OwnerAsync(_app);
        var session = Assert.IsType<SignInResult.Success>(await Accounts.SignInAsync("ana@example.com", AccountKit.Password, "198.51.100.20")).SessionId;
        Assert.Equal("owner", await Accounts.SessionRoleAsync(session));
        for (var i = 0; i < 5; i++) await Accounts.SignInAsync("ana@example.com", "wrong", "203.0.113.7");
        Assert.Null(await Accounts.SessionRoleAsync(session));
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_ACopiedCookieStopsWorking_AndChecksAntiforgery()
    {
        await AccountKit.OwnerAsync(_app);
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var signIn = await AccountKit.SignInThroughFormAsync(browser);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var sessionCookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("immutable.session=", StringComparison.Ordinal)).Split(';')[0];

        var copy = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        copy.DefaultRequestHeaders.Add("Cookie", sessionCookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/events")).StatusCode);

        // Without the antiforgery token, sign-out is refused and the session lives on.
        var forged = await copy.PostAsync("/account/signout", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/events")).StatusCode);

        // The app bar's sign-out form lives in the interactive layout; any server-rendered page of the signed-in
        // member yields the same member-bound token.
        var page = await browser.GetStringAsync("/account/signin");
        var signOut = await browser.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = AccountKit.AntiforgeryToken(page) }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(1, AccountKit.CountEvents(_app, "account.signed_out"));

        var replay = await copy.GetAsync("/events");
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.Contains("/account/signin", replay.Headers.Location!.ToString());
    }
}
