using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Immutable.Domain.Monitors;

/// <summary>
/// The string values of JSON elements, shared: a short value read before (a tag, a data source, a schema) is returned
/// as the same instance instead of a new string per event. Monitors read the metadata of every query event they
/// evaluate, and those few values recur in nearly every one. The pool is bounded (<see cref="MaxEntries"/> values of
/// at most <see cref="MaxLength"/> characters); anything else, or a value written with JSON escapes, is read as usual.
/// </summary>
public static class JsonStrings
{
    public const int MaxLength = 64;
    public const int MaxEntries = 4096;

    private static int _count;
    private static readonly ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByChars =
        Pool.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The value of a JSON string element; the same as <see cref="JsonElement.GetString"/>.</summary>
    public static string Get(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        // The raw value of a string may come with its quotes; inside them a quote is always escaped, so a value with
        // no backslash that starts and ends with one is quoted, not quote characters.
        if (raw.Length >= 2 && raw[0] == (byte)'"' && raw[^1] == (byte)'"') raw = raw[1..^1];
        // UTF-8 never decodes to more characters than it has bytes.
        if (raw.Length > MaxLength || raw.IndexOf((byte)'\\') >= 0) return element.GetString()!;
        Span<char> chars = stackalloc char[MaxLength];
        var length = Encoding.UTF8.GetChars(raw, chars);
        if (ByChars.TryGetValue(chars[..length], out var shared)) return shared;
        var value = new string(chars[..length]);
        // Counted here, not with Pool.Count, which takes every lock of the dictionary: a field of ever-new values
        // (a table name per event) would pay that on every read once the pool is full.
        if (Volatile.Read(ref _count) >= MaxEntries) return value;
        var pooled = Pool.GetOrAdd(value, value);
        if (ReferenceEquals(pooled, value)) Interlocked.Increment(ref _count);
        return pooled;
    }
}
