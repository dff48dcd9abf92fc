namespace Immutable.Web.Hosting;

public static class ListenAddressExtensions
{
    /// <summary>Where the app listens when nothing says otherwise: this machine only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Listens on <see cref="DefaultUrl"/> only when no listening address is configured in any of the ASP.NET Core
    /// ways: <c>--urls</c>, <c>ASPNETCORE_URLS</c>/<c>DOTNET_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>/<c>HTTPS_PORTS</c>,
    /// a <c>Urls</c> setting, or <c>Kestrel:Endpoints</c>. (A <c>Urls</c> default in appsettings.json would outrank
    /// <c>ASPNETCORE_URLS</c> and silently disable <c>ASPNETCORE_HTTP_PORTS</c>, as containers set them.)
    /// </summary>
    public static WebApplicationBuilder AddDefaultListenAddress(this WebApplicationBuilder builder)
    {
        if (!HasListenAddress(builder.Configuration)) builder.WebHost.UseUrls(DefaultUrl);
        return builder;
    }

    public static bool HasListenAddress(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.ServerUrlsKey])
        || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey])
        || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
