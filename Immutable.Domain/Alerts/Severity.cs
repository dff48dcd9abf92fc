namespace Immutable.Domain.Alerts;

/// <summary>Ordered: a larger value is more severe.</summary>
public enum Severity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>Where a finding (alert or observation) is in triage: open until someone acknowledges it.</summary>
public enum AlertStatus
{
    Open,
    Acknowledged,
}
