namespace Immutable.Tests.TestSupport;

/// <summary>
/// <c>deploy/instance.env</c>, the configuration every instance of a deployment shares (compose.yaml's env_file, the
/// systemd unit's EnvironmentFile), read the way those read it. The multi-instance tests start their app processes
/// with exactly these variables and change only values, never names: <see cref="With"/> refuses a variable the file
/// does not have, so the deployment and the tests cannot drift apart.
/// </summary>
public sealed class DeployEnvironment
{
    public const string RelativePath = "deploy/instance.env";

    private readonly Dictionary<string, string?> _variables;

    private DeployEnvironment(Dictionary<string, string?> variables) => _variables = variables;

    /// <summary>The file's variables in order, as NAME → value.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        var variables = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new FormatException($"{RelativePath} line {lineNumber}: expected NAME=value, got '{line}'");
            var name = line[..equals];
            var value = line[(equals + 1)..];
            // The subset docker compose, systemd and this reader all read alike.
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$"))
                throw new FormatException($"{RelativePath} line {lineNumber}: '{name}' is not a plain variable name");
            if (value.Contains('"', StringComparison.Ordinal) || value.Contains('\'', StringComparison.Ordinal) || value.Contains('$', StringComparison.Ordinal)
                || value.Contains(" #", StringComparison.Ordinal) || value != value.Trim())
                throw new FormatException($"{RelativePath} line {lineNumber}: keep values free of quotes, '$', comments and outer spaces (compose and systemd read those differently)");
            if (variables.Any(v => v.Key == name)) throw new FormatException($"{RelativePath} line {lineNumber}: {name} is set twice");
            variables.Add(new(name, value));
        }
        return variables;
    }

    public static IReadOnlyList<KeyValuePair<string, string>> ReadFile() =>
        Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, RelativePath)));

    public static DeployEnvironment Load() => new(ReadFile().ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.Ordinal));

    /// <summary>Another value for a variable of the file (null: unset it, as for a service the test does not run).</summary>
    public DeployEnvironment With(string name, string? value)
    {
        if (!_variables.ContainsKey(name))
            throw new InvalidOperationException($"{name} is not in {RelativePath}: the tests use the deployment's variables, add it there first.");
        _variables[name] = value;
        return this;
    }

    /// <summary>
    /// A variable the deployment does not set but the test needs (webhooks to 127.0.0.1, no rate limit under load);
    /// never one of the file's own (those go through <see cref="With"/>).
    /// </summary>
    public DeployEnvironment WithTestOnly(string name, string value)
    {
        if (_variables.ContainsKey(name)) throw new InvalidOperationException($"{name} is in {RelativePath}: use With.");
        _variables[name] = value;
        return this;
    }

    public IReadOnlyDictionary<string, string?> Variables => _variables;
}
