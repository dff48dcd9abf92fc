using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Immutable.Domain.Chain;

/// <summary>
/// JSON canonicalisation in the manner of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
/// whitespace, strings escaped minimally, numbers in ECMAScript shortest form, except that an integer written
/// without fraction or exponent whose magnitude exceeds 2^53 keeps its digits (a double would round it, and an audit
/// log must keep what was sent: <c>12345678901234567890123</c> stays that, not <c>1.2345678901234568e+22</c>).
/// Invariant: two JSON texts with the same data model produce byte-identical output, so a hash over the
/// output can be recomputed by anyone from an export (docs/hash-chain.md gives the one rule beyond JCS).
/// The output is a fixed point: canonicalising it again gives the same text.
/// </summary>
public static class CanonicalJson
{
    public static string Canonicalize(JsonElement element)
    {
        var sb = new StringBuilder();
        Write(sb, element);
        return sb.ToString();
    }

    public static void Write(StringBuilder sb, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = element.EnumerateObject().ToList();
                properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                sb.Append('{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    WriteString(sb, properties[i].Name);
                    sb.Append(':');
                    Write(sb, properties[i].Value);
                }
                sb.Append('}');
                break;
            case JsonValueKind.Array:
                sb.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(sb, element.GetString()!);
                break;
            case JsonValueKind.Number:
                var raw = element.GetRawText();
                sb.Append(IsIntegerBeyondDouble(raw) ? raw : FormatNumber(element.GetDouble()));
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            case JsonValueKind.Undefined:
            default:
                throw new ArgumentException($"Cannot canonicalize a JSON value of kind {element.ValueKind}.", nameof(element));
        }
    }

    public static void WriteString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>
    /// True for a JSON number token that is an integer (optional minus, digits only) of magnitude above
    /// 2^53 = 9007199254740992: the smallest integers a double cannot hold exactly. Up to 2^53, JCS already writes an
    /// integer's own digits, so the two rules agree there and ordinary events hash as before.
    /// </summary>
    public static bool IsIntegerBeyondDouble(string token)
    {
        var digits = token.AsSpan(token.StartsWith('-') ? 1 : 0);
        if (digits.Length < 16 || digits.ContainsAnyExceptInRange('0', '9')) return false;
        // JSON forbids leading zeros, so more digits means a larger number.
        return digits.Length > 16 || digits.SequenceCompareTo("9007199254740992") > 0;
    }

    /// <summary>ECMAScript Number.prototype.toString for finite doubles (RFC 8785 section 3.2.2.3).</summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(nameof(value), "JSON numbers are finite.");
        if (value == 0) return "0"; // also -0

        // "R" gives the shortest digits that round-trip; re-lay them out the ECMAScript way.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        // Decompose into digits d1..dk and n such that value = 0.d1..dk × 10^n.
        var ePos = shortest.IndexOfAny(['E', 'e']);
        var mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        var exp10 = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var all = intPart + fracPart;
        var digits = all.TrimStart('0');
        var exponent = intPart.Length - (all.Length - digits.Length) + exp10;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return "0";

        var k = digits.Length;
        var n = exponent;
        var sb = new StringBuilder();
        if (value < 0) sb.Append('-');
        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            var e = n - 1;
            sb.Append(digits[0]);
            if (k > 1) sb.Append('.').Append(digits, 1, k - 1);
            sb.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
