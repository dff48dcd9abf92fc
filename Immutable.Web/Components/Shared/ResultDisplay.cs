using Immutable.Web.Api;
using MudBlazor;

namespace Immutable.Web.Components.Shared;

/// <summary>How the dashboard shows an application service's result: a snackbar, or the violations by form field.</summary>
public static class ResultDisplay
{
    /// <summary>The problem's sentence (the API's error message), or null when the call succeeded.</summary>
    public static string? Message<T>(this Result<T> result) => result.Problem?.Error.Message;

    /// <summary>The violations by field (empty when the call succeeded or failed for another reason).</summary>
    public static Dictionary<string, string> Violations<T>(this Result<T> result) =>
        ViolationMap.ByField(result.Problem?.Error.Violations ?? []);

    /// <summary>One snackbar: <paramref name="success"/> when it worked, the problem's message (or <paramref name="failure"/>) when not.</summary>
    public static void Show<T>(this ISnackbar snackbar, Result<T> result, string success, string failure, Severity successSeverity = Severity.Success) =>
        snackbar.Add(result.Succeeded ? success : result.Message() ?? failure, result.Succeeded ? successSeverity : Severity.Error);

    /// <summary>A text field's value as an optional input: null when blank, trimmed otherwise.</summary>
    public static string? Optional(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
