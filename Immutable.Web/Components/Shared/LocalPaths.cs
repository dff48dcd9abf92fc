namespace Immutable.Web.Components.Shared;

public static class LocalPaths
{
    /// <summary>Only a path on this site ("/x", not "//host" or "/\host"): a sign-in link cannot send anyone elsewhere.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url
        : returnUrl is { Length: > 0 } relative && !relative.Contains(':', StringComparison.Ordinal) && !relative.StartsWith('/') && !relative.StartsWith('\\') ? "/" + relative
        : "/";
}
