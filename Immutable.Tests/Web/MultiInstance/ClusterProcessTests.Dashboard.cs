using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Immutable.Tests.Web.MultiInstance;

/// <summary>Dashboard sessions across the two processes.</summary>
public sealed partial class ClusterProcessTests
{
    [MultiInstanceFact]
    public async Task Cluster_DashboardCookieIssuedByA_AcceptedByB()
    {
        // The first owner, through the setup link the instances print (a token in the shared store).
        var link = await SetupLinkAsync();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = new Uri(cluster.A.BaseUrl) };
        var setupPage = await browser.GetStringAsync(link);
        var email = $"owner-{Suffix()}@acme.io";
        var setUp = await browser.PostAsync("/account/setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = Token(setupPage),
            ["Input.Token"] = TokenInLink().Match(link).Groups[1].Value,
            ["Input.Workspace"] = "cookies",
            ["Input.Name"] = "Owner",
            ["Input.Email"] = email,
            ["Input.Password"] = "correct horse battery",
        }));
        Assert.True(setUp.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, $"{(int)setUp.StatusCode} {await setUp.Content.ReadAsStringAsync()}");

        // Signed in on A (a new browser)...
        using var signer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = new Uri(cluster.A.BaseUrl) };
        var signInPage = await signer.GetStringAsync("/account/signin");
        var signIn = await signer.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = Token(signInPage),
            ["Input.Email"] = email,
            ["Input.Password"] = "correct horse battery",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("immutable.session=", StringComparison.Ordinal)).Split(';')[0];

        // ...the cookie opens the dashboard on B (the proxy's stickiness is lost when A goes away), and nothing else does.
        using var onB = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(cluster.B.BaseUrl) };
        var anonymous = await onB.GetAsync("/events");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events");
        request.Headers.Add("Cookie", cookie);
        var withCookie = await onB.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
    }

    private async Task<string> SetupLinkAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            foreach (var instance in new[] { cluster.B, cluster.A })
                if (SetupLink().Match(instance.Output) is { Success: true } m) return new Uri(m.Value).PathAndQuery;
            await Task.Delay(100);
        }
        throw new TimeoutException("no setup link on either console:\n" + cluster.B.Output);
    }

    private static string Token(string html) => AntiforgeryToken().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("no antiforgery token on the page");

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex(@"http://\S+/account/setup\?token=[A-Za-z0-9]+")]
    private static partial Regex SetupLink();

    [GeneratedRegex(@"token=([A-Za-z0-9]+)")]
    private static partial Regex TokenInLink();
}
