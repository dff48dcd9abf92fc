using Immutable.Web.Api;

namespace Immutable.Web.Components.Shared;

public static class ViolationMap
{
    /// <summary>The API's violations as one message per field (several joined), for showing on form fields.</summary>
    public static Dictionary<string, string> ByField(IEnumerable<Violation> violations) =>
        violations.GroupBy(v => v.Field, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join("; ", g.Select(v => v.Message)), StringComparer.Ordinal);
}
