using System.Text.Json;

namespace Immutable.Web.Api;

/// <summary>
/// One pass over a parsed body before any handler reads it.
/// Invariant: a body that passes holds only values .NET reads back unchanged. System.Text.Json parses texts it
/// cannot turn into values: a lone UTF-16 surrogate escape (<c>"\ud800"</c>) or bytes that are not UTF-8 inside a
/// string make <c>GetString</c> and <c>TryGetProperty</c> throw, and a number beyond a double reads as infinity
/// (<c>1e400</c>) or silently as zero (<c>1e-400</c>). Each becomes a violation naming its path
/// (<c>metadata.note</c>, <c>events[3].actor_name</c>), so every endpoint answers 422 and no handler sees them.
/// </summary>
public static class JsonInputCheck
{
    /// <summary>Enough to fix a request; a body full of bad values does not get a response as large as itself.</summary>
    public const int MaxViolations = 20;

    public static List<Violation> Check(JsonElement root)
    {
        var violations = new List<Violation>();
        Visit(root, "", violations);
        return violations;
    }

    private static void Visit(JsonElement element, string path, List<Violation> violations)
    {
        if (violations.Count >= MaxViolations) return;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryName(property, out var name))
                    {
                        Add(violations, path, "has a property name that is not valid Unicode text (a lone surrogate or bytes that are not UTF-8)");
                        continue;
                    }
                    Visit(property.Value, path.Length == 0 ? name : $"{path}.{name}", violations);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) Visit(item, $"{path}[{i++}]", violations);
                break;
            case JsonValueKind.String:
                if (!TryString(element))
                    Add(violations, path, "is not valid Unicode text (a lone surrogate such as \\ud800, or bytes that are not UTF-8)");
                break;
            case JsonValueKind.Number:
                if (NumberProblem(element) is { } problem) Add(violations, path, problem);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
            default:
                break;
        }
    }

    private static bool TryName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    private static bool TryString(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A number must be a finite double, and a non-zero number must not round to zero.</summary>
    private static string? NumberProblem(JsonElement element)
    {
        if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
            return "is out of range: a JSON number must fit a 64-bit floating point value (at most about ±1.8e308)";
        if (value != 0) return null;
        var raw = element.GetRawText();
        var mantissa = raw.AsSpan(0, raw.AsSpan().IndexOfAny('e', 'E') is var e and >= 0 ? e : raw.Length);
        return mantissa.IndexOfAnyInRange('1', '9') >= 0
            ? "is too small: it is not zero but would be stored as 0 (the smallest magnitude is about 5e-324)"
            : null;
    }

    private static void Add(List<Violation> violations, string path, string message) =>
        violations.Add(new Violation(path.Length == 0 ? "body" : path, message));
}
