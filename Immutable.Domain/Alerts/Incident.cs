namespace Immutable.Domain.Alerts;

/// <summary>Where an incident is in triage. Resolving needs a <see cref="IncidentResolution"/>.</summary>
public enum IncidentStatus
{
    Open,
    Acknowledged,
    Resolved,
}

/// <summary>Why an incident was resolved.</summary>
public enum IncidentResolution
{
    TruePositive,
    Benign,
    FalsePositive,
}

/// <summary>What findings of one incident have in common (a workspace setting; actor by default).</summary>
public enum IncidentGrouping
{
    Actor,
    Session,
    IpAddress,
}

/// <summary>
/// The grouping rule as pure functions: which key a finding is grouped under and whether it still joins the incident
/// collecting that key. A finding joins when its event time is at most the window after the incident's last activity
/// (earlier, late-arriving findings join too); otherwise a new incident starts.
/// </summary>
public static class IncidentGroupingRule
{
    public const int DefaultWindowMinutes = 60;
    public const int MinWindowMinutes = 1;
    public const int MaxWindowMinutes = 7 * 24 * 60;

    /// <summary>What a window must be, in the words the API and the dashboard both use.</summary>
    public static readonly string WindowAllowed = $"a whole number of minutes from {MinWindowMinutes} to {MaxWindowMinutes} (7 days)";

    public static bool IsValidWindow(int minutes) => minutes is >= MinWindowMinutes and <= MaxWindowMinutes;

    /// <summary>
    /// The key (<c>kind:value</c>) of a finding: the session or IP address when the workspace groups by them and the
    /// finding has one, otherwise its actor (observations and workspace-level alerts have no session or address).
    /// </summary>
    public static (IncidentGrouping By, string Value) KeyOf(IncidentGrouping grouping, string actorId, string? sessionId, string? ipAddress) =>
        grouping switch
        {
            IncidentGrouping.Session when !string.IsNullOrEmpty(sessionId) => (IncidentGrouping.Session, sessionId),
            IncidentGrouping.IpAddress when !string.IsNullOrEmpty(ipAddress) => (IncidentGrouping.IpAddress, ipAddress),
            IncidentGrouping.Actor or IncidentGrouping.Session or IncidentGrouping.IpAddress => (IncidentGrouping.Actor, actorId),
        };

    public static bool Joins(DateTime lastActivityAt, DateTime findingAt, int windowMinutes) =>
        findingAt - lastActivityAt <= TimeSpan.FromMinutes(windowMinutes);

    public static Severity Highest(Severity a, Severity b) => a >= b ? a : b;
}
