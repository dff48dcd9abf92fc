namespace Immutable.Domain.Rules;

/// <summary>
/// Action globs: an exact action, or <c>*</c> standing for any run of characters (<c>auth.*</c>, <c>*.deleted</c>).
/// The grammar (docs/detection.md) is the one place that says what a pattern may look like; rules, the dashboard's
/// forms and the workspace's event schema all check with <see cref="Problem"/>:
/// <code>
///   pattern = segment *( "." segment )            at most 256 characters
///   segment = 1*( char / "*" )                    never empty, never two '*' in a row
///   char    = A-Z / a-z / 0-9 / "_" / "-" / ":"   (the characters of an action, see the ingest contract)
/// </code>
/// so <c>auth.login</c>, <c>project.forceDeleted</c>, <c>auth.*</c>, <c>*.deleted</c>, <c>auth.login_*</c> and
/// <c>*</c> are patterns; <c>auth..login</c>, <c>.auth</c>, <c>***</c> and <c>a b</c> are not.
/// </summary>
public static class ActionPattern
{
    public const int MaxLength = 256;

    /// <summary>What a pattern may be, for messages next to a field and in API errors.</summary>
    public const string Allowed = "dot-separated segments of letters, digits, '_', '-', ':' and '*' (any run of characters), no empty segment and no '**', at most 256 characters (e.g. auth.login, auth.*, *.deleted)";

    /// <summary>Null when <paramref name="pattern"/> follows the grammar, else why not (a sentence fragment for "must be ...").</summary>
    public static string? Problem(string pattern)
    {
        if (pattern.Length == 0) return "must not be empty: " + Allowed;
        if (pattern.Length > MaxLength) return "is longer than 256 characters: " + Allowed;
        var segmentLength = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '.')
            {
                if (segmentLength == 0) return "has an empty segment (a leading, trailing or doubled '.'): " + Allowed;
                segmentLength = 0;
                continue;
            }
            if (c == '*' && i > 0 && pattern[i - 1] == '*') return "has '**' (one '*' already matches any run of characters): " + Allowed;
            if (c != '*' && !IsActionChar(c)) return $"has a character that is not allowed ({Describe(c)}): " + Allowed;
            segmentLength++;
        }
        return segmentLength == 0 ? "has an empty segment (a leading, trailing or doubled '.'): " + Allowed : null;
    }

    public static bool IsValid(string pattern) => Problem(pattern) is null;

    private static bool IsActionChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or ':';

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        _ when char.IsWhiteSpace(c) || char.IsControl(c) => "U+" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
        _ => $"'{c}'",
    };

    public static bool Matches(string pattern, string action)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal)) return string.Equals(pattern, action, StringComparison.Ordinal);
        return Glob(pattern.AsSpan(), action.AsSpan());
    }

    public static bool MatchesAny(IReadOnlyList<string> patterns, string action)
    {
        for (var i = 0; i < patterns.Count; i++)
            if (Matches(patterns[i], action)) return true;
        return false;
    }

    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        // Iterative wildcard matching with backtracking to the last '*'.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == text[t]) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
