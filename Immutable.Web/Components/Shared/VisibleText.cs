using System.Globalization;
using System.Text;

namespace Immutable.Web.Components.Shared;

/// <summary>
/// Text that API callers supplied (actor names and ids, actions, resources, reasons, notes) as the dashboard shows it.
/// Invariant: the store keeps such text exactly as sent (the chain hashes it), and the dashboard never renders an
/// invisible or direction-changing character raw. Bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), marks and zero-width characters (U+200B–U+200F, U+2060–U+2064, U+061C, U+FEFF, U+00AD), line
/// and paragraph separators, C0/C1 controls and unpaired surrogates are shown as a visible token such as ⟨U+202E⟩.
/// Otherwise a right-to-left override (U+202E) before "gnp.exe" makes it read "exe.png", and a zero-width space makes two
/// different actors look identical in triage.
/// </summary>
public partial class VisibleText
{
    /// <summary>A run of ordinary text, or one escaped character's token.</summary>
    public readonly record struct Segment(string Text, bool IsEscape);

    public static bool IsInvisible(string text, int index)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c)) return index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]);
        if (char.IsLowSurrogate(c)) return index == 0 || !char.IsHighSurrogate(text[index - 1]);
        return c is < '\u0020' or (>= '\u007F' and <= '\u009F') or '\u00AD' or '\u061C' or '\u180E'
            or (>= '\u200B' and <= '\u200F') or '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E')
            or (>= '\u2060' and <= '\u2064') or (>= '\u2066' and <= '\u2069') or '\uFEFF';
    }

    public static string Token(char c) => "⟨U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + "⟩";

    public static IReadOnlyList<Segment> Split(string? text)
    {
        var segments = new List<Segment>();
        if (string.IsNullOrEmpty(text)) return segments;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsInvisible(text, i)) continue;
            if (i > start) segments.Add(new Segment(text[start..i], false));
            segments.Add(new Segment(Token(text[i]), true));
            start = i + 1;
        }
        if (start < text.Length) segments.Add(new Segment(text[start..], false));
        return segments;
    }

    /// <summary>The text with every invisible character as its token: for attributes, titles and tooltips.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var sb = new StringBuilder(text.Length);
        foreach (var segment in Split(text)) sb.Append(segment.Text);
        return sb.ToString();
    }
}
