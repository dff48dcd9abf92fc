namespace Immutable.Web.Storage;

/// <summary>
/// LIKE/ILIKE patterns from user text. Invariant: the user's <c>%</c>, <c>_</c> and <c>\</c> are escaped (with
/// <see cref="Escape"/> as the ESCAPE character), so typed text only ever matches itself, and it reaches SQL as a
/// parameter, never as SQL text.
/// </summary>
public static class LikePatterns
{
    public const string Escape = "\\";

    /// <summary><c>%text%</c> with the text's wildcards escaped.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
