using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Delivery.Email;

public enum SmtpSecurity
{
    None,
    StartTls,
    SslOnConnect,
    Auto,
}

/// <summary>SMTP settings (section Email). No Host: the email channel is disabled and says so in /readyz.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "Immutable <immutable@localhost>";

    /// <summary>At most one email per recipient per this many seconds; what fires meanwhile goes into one digest.</summary>
    [Range(1, 3600)]
    public int DigestSeconds { get; set; } = 60;

    /// <summary>How often the sender looks for queued items.</summary>
    [Range(1, 60)]
    public int PollSeconds { get; set; } = 2;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}
