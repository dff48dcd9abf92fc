using Immutable.Web.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Accounts;

/// <summary>
/// First run: while nobody can sign in, print a one-time setup link on the console once the server listens, so the
/// person who started the app (and only someone who can read its console) becomes the first owner.
/// </summary>
internal sealed partial class SetupLinkAnnouncer(
    IHostApplicationLifetime lifetime, IServer server, AccountService accounts, IOptions<AccountOptions> options, IOptions<PublicUrlOptions> publicUrl,
    ILogger<SetupLinkAnnouncer> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = AnnounceAsync());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task AnnounceAsync()
    {
        try
        {
            var token = await accounts.CreateSetupTokenAsync(lifetime.ApplicationStopping);
            if (token is null) return;
            var baseUrl = publicUrl.Value.Configured
                ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? "http://localhost:5080";
            var link = $"{baseUrl.TrimEnd('/').Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal)}/account/setup?token={token}";
            LogSetupLink(link, options.Value.SetupLinkMinutes);
            Console.WriteLine();
            Console.WriteLine("  ┌─ First run: no dashboard user exists yet.");
            Console.WriteLine($"  │  Open {link}");
            Console.WriteLine($"  │  to create the owner account (link valid {options.Value.SetupLinkMinutes} minutes, once).");
            Console.WriteLine("  └─ Restart the app for a new link if it expires.");
            Console.WriteLine();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSetupFailed(ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "No dashboard user exists. Create the owner at {Link} (valid {Minutes} minutes, once).")]
    private partial void LogSetupLink(string link, int minutes);

    [LoggerMessage(LogLevel.Error, "Could not create the first-run setup link.")]
    private partial void LogSetupFailed(Exception ex);
}
