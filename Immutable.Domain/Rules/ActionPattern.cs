namespace Immutable.Domain.Rules;

/// <summary>Action globs: an exact action, or <c>*</c> standing for any run of characters (<c>auth.*</c>, <c>*.deleted</c>).</summary>
public static class ActionPattern
{
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
