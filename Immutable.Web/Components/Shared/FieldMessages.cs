namespace Immutable.Web.Components.Shared;

/// <summary>
/// The messages a form shows next to its fields, keyed by the API's field paths ("conditions.start_hour",
/// "patterns[2]"). A field shows its message once the user changed that field, or once a save was attempted, so
/// choosing a rule type never makes the untouched Name field shout, and Save is never silently disabled: a click with
/// invalid values reveals every message instead of sending.
/// </summary>
public sealed class FieldMessages
{
    private Dictionary<string, string> _all = new(StringComparer.Ordinal);
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    /// <summary>True after a save attempt (or a server answer): every field shows its message.</summary>
    public bool ShowAll { get; private set; }

    public int Count => _all.Count;

    /// <summary>Every current message by field path, shown or not.</summary>
    public IReadOnlyDictionary<string, string> All => _all;

    /// <summary>Replaces the current messages (a fresh local validation, or a server's answer merged in).</summary>
    public void Set(IReadOnlyDictionary<string, string> messages) => _all = new Dictionary<string, string>(messages, StringComparer.Ordinal);

    public void Touch(string field) => _touched.Add(field);

    /// <summary>
    /// Drops the messages of <paramref name="field"/> and its items: a server's answer about a value the user has since
    /// edited. The field's Error then turns false, so a second refusal turns it true again (MudBlazor only re-applies
    /// an Error parameter that changed).
    /// </summary>
    public void Clear(string field)
    {
        foreach (var key in Keys(field).ToList()) _all.Remove(key);
    }

    public void RevealAll() => ShowAll = true;

    /// <summary>Forget what was touched and revealed (a form that was saved and emptied).</summary>
    public void Reset()
    {
        _touched.Clear();
        ShowAll = false;
        _all = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>The shown message of <paramref name="field"/> as MudBlazor's <c>Validation</c>, for a field checked as typed.</summary>
    public ShownMessage Validation(string field, Func<int, string?>? itemLabel = null) => new(() => Text(field, itemLabel));

    /// <summary>Whether <paramref name="field"/> (or one of its items, "field[i]...") has a message that is shown.</summary>
    public bool Has(string field) => (ShowAll || _touched.Contains(field)) && Keys(field).Any();

    /// <summary>
    /// The shown message of <paramref name="field"/> and its items; an item's message is prefixed by
    /// <paramref name="itemLabel"/> (e.g. the pattern or line it is about), or by "item N".
    /// </summary>
    public string? Text(string field, Func<int, string?>? itemLabel = null)
    {
        if (!Has(field)) return null;
        return string.Join("; ", Keys(field).Select(key =>
        {
            var message = _all[key];
            if (key.Length == field.Length) return message;
            var close = key.IndexOf(']', field.Length);
            var index = close > field.Length + 1 && int.TryParse(key.AsSpan(field.Length + 1, close - field.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : -1;
            var label = index >= 0 ? itemLabel?.Invoke(index) ?? $"item {index + 1}" : key[field.Length..];
            return $"{label}: {message}";
        }));
    }

    private IEnumerable<string> Keys(string field) =>
        _all.Keys.Where(k => k == field || (k.Length > field.Length && k.StartsWith(field, StringComparison.Ordinal) && k[field.Length] is '[' or '.'))
            .Order(StringComparer.Ordinal);
}
