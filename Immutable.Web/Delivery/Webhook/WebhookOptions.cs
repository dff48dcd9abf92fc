using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Delivery.Webhook;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Hosts (names or IPs) and CIDRs that may be private, loopback, link-local or this host's own anyway: for
    /// receivers the operator runs next to us (and the tests' receiver on 127.0.0.1). An entry allows every port on
    /// that host or network too (local receivers rarely listen on 80/443), so keep entries narrow: one host, not
    /// 10.0.0.0/8. Empty by default.
    /// </summary>
    public List<string> AllowedPrivateHosts { get; set; } = [];

    /// <summary>
    /// Ports a webhook URL may use besides 80 and 443 (checked at save and at connect time), so a webhook cannot be
    /// aimed at a mail server, database or other non-HTTP service on a public host. Empty by default. Hosts and
    /// networks in <see cref="AllowedPrivateHosts"/> are not limited to these.
    /// </summary>
    public List<int> AllowedPorts { get; set; } = [];

    [Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Attempts before a delivery is dead-lettered.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First retry delay; each later one doubles it (with ±20 % jitter), capped at one hour.</summary>
    [Range(1, 3600)]
    public int BaseBackoffSeconds { get; set; } = 10;

    /// <summary>Failed attempts in a row after which an endpoint is paused and the workspace's admins are emailed.</summary>
    [Range(1, 1000)]
    public int PauseAfterFailures { get; set; } = 10;

    /// <summary>How often the dispatcher looks for due deliveries when nothing signalled it.</summary>
    [Range(1, 60)]
    public int PollSeconds { get; set; } = 1;
}
