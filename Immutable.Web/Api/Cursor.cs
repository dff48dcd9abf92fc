using System.Buffers.Text;
using System.Text.Json;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Api;

/// <summary>
/// Opaque page cursor: base64url JSON of the last row's sort key and id. Clients must not build them;
/// a tampered cursor is a 422, never a crash.
/// </summary>
public sealed record CursorKey(long S, string Id)
{
    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this, CursorJson.Options));

    /// <summary>
    /// True for no cursor (<paramref name="key"/> null) or a well-formed one: a sort key from 0 to
    /// <paramref name="maxKey"/> (sequences and row ids are positive; tick-based keys pass DateTime.MaxValue.Ticks)
    /// and a non-empty id.
    /// </summary>
    public static bool TryDecode(string? text, out CursorKey? key, long maxKey = long.MaxValue)
    {
        key = null;
        if (string.IsNullOrEmpty(text)) return true;
        try
        {
            var bytes = Base64Url.DecodeFromChars(text);
            key = JsonSerializer.Deserialize<CursorKey>(bytes, CursorJson.Options);
        }
        // InvalidOperationException: an id with a lone surrogate or bytes that are not UTF-8.
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            key = null;
            return false;
        }
        if (key is { S: >= 0, Id.Length: > 0 } && key.S <= maxKey) return true;
        key = null;
        return false;
    }
}

internal static class CursorJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

public static class Paging
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;

    /// <summary>
    /// Matches an event list counts exactly; above it the total is this number with <c>total_exact: false</c> (at least
    /// this many). Counting half a million index entries takes ~70 ms in SQLite, more than the whole page should.
    /// </summary>
    public const int ExactTotalUpTo = 10_000;

    /// <summary>
    /// One page of <paramref name="query"/>, newest row first (keyset on the row id, after <paramref name="cursor"/>),
    /// with the exact total of the filtered query.
    /// </summary>
    public static async Task<(List<T> Rows, Pagination Pagination)> NewestFirstAsync<T>(
        IQueryable<T> query, CursorKey? cursor, int limit, CancellationToken ct) where T : class, IRowKeyed
    {
        var total = await query.CountAsync(ct);
        if (cursor is { } c) query = query.Where(r => r.RowId < c.S);
        var rows = await query.OrderByDescending(r => r.RowId).Take(limit + 1).ToListAsync(ct);
        return Trim(rows, limit, total, r => new CursorKey(r.RowId, r.Id));
    }

    /// <summary>
    /// Trims a page fetched with <c>Take(limit + 1)</c>: the extra row only says there is more, and the last kept
    /// row's sort key becomes the next cursor.
    /// </summary>
    public static (List<T> Rows, Pagination Pagination) Trim<T>(List<T> rows, int limit, int total, Func<T, CursorKey> key)
    {
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        return (rows, new Pagination(hasMore, hasMore ? key(rows[^1]).Encode() : null, total));
    }

    /// <summary>A list request's <c>cursor</c> (one this API returned) and <c>limit</c>.</summary>
    public static (CursorKey? Cursor, int Limit) Read(Microsoft.AspNetCore.Http.IQueryCollection query, List<Violation> violations)
    {
        if (!CursorKey.TryDecode(query["cursor"], out var cursor)) violations.Add(new Violation("cursor", "is not a cursor this API returned"));
        TryReadLimit(query["limit"], violations, out var limit);
        return (cursor, limit);
    }

    /// <summary>limit: default 25; above 100 is clamped to 100 (documented); below 1 or not a number is invalid.</summary>
    public static bool TryReadLimit(string? text, List<Violation> violations, out int limit)
    {
        limit = DefaultLimit;
        if (string.IsNullOrEmpty(text)) return true;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            violations.Add(new Violation("limit", "must be an integer from 1 to 100"));
            return false;
        }
        limit = Math.Min(value, MaxLimit);
        return true;
    }
}
