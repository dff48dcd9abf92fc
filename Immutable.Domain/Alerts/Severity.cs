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

public enum AlertStatus
{
    Open,
    Acknowledged,
}
