namespace Immutable.Web.Hosting;

/// <summary>
/// The app's one public address (top-level key <c>PublicUrl</c>), the base of every link it writes out: alerts and
/// observations in email, webhook payloads and the API, the first-run setup link and invitations. Set it behind a
/// reverse proxy. The keys it replaces, <c>Monitors:DashboardUrl</c> and <c>Accounts:PublicUrl</c>, are still read
/// when it is absent.
/// </summary>
public sealed class PublicUrlOptions
{
    public const string Key = "PublicUrl";
    private static readonly string[] ReplacedKeys = ["Monitors:DashboardUrl", "Accounts:PublicUrl"];

    /// <summary>Null when not configured.</summary>
    public string? Configured { get; set; }

    /// <summary>The base of links written into findings: the configured address, else the default listening address.</summary>
    public string Base => (Configured ?? ListenAddressExtensions.DefaultUrl).TrimEnd('/');

    public static bool IsValid(string? url) =>
        url is null || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment));

    internal static string? Read(IConfiguration configuration) =>
        new[] { Key }.Concat(ReplacedKeys).Select(k => configuration[k]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}

public static class PublicUrlExtensions
{
    public static IHostApplicationBuilder AddPublicUrl(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PublicUrlOptions>()
            .Configure<IConfiguration>((o, configuration) => o.Configured = PublicUrlOptions.Read(configuration))
            .Validate(o => PublicUrlOptions.IsValid(o.Configured), "PublicUrl must be an absolute http or https URL without query or fragment, e.g. https://immutable.example.com.")
            .ValidateOnStart();
        return builder;
    }
}
