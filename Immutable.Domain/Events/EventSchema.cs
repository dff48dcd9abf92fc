using Immutable.Domain.Rules;

namespace Immutable.Domain.Events;

public enum SchemaMode
{
    /// <summary>An action outside the patterns is rejected (422) and nothing is stored.</summary>
    Strict,
    /// <summary>An action outside the patterns is stored with <see cref="EventContent.SchemaViolation"/> set.</summary>
    Permissive,
}

public enum SchemaVerdict
{
    Accepted,
    Flagged,
    Rejected,
}

/// <summary>
/// A workspace's event schema: the action patterns it expects (<c>document.created</c>, <c>document.*</c>, <c>*</c>)
/// and what happens to other actions. No patterns means every action is accepted.
/// </summary>
public sealed record EventSchema(SchemaMode Mode, IReadOnlyList<string> Patterns)
{
    public static EventSchema None { get; } = new(SchemaMode.Strict, []);

    public SchemaVerdict Check(string action)
    {
        if (Patterns.Count == 0 || ActionPattern.MatchesAny(Patterns, action)) return SchemaVerdict.Accepted;
        return Mode switch
        {
            SchemaMode.Strict => SchemaVerdict.Rejected,
            SchemaMode.Permissive => SchemaVerdict.Flagged,
            _ => throw new ArgumentOutOfRangeException(nameof(action), Mode, "unknown schema mode"),
        };
    }

    /// <summary>The API's message for a rejected action (issue 16 gives the exact text).</summary>
    public static string RejectionMessage(string action) => $"Action '{action}' does not match any configured schema pattern.";
}
