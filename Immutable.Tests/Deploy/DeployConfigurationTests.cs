using System.Text.RegularExpressions;
using Immutable.Tests.TestSupport;
using Npgsql;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Immutable.Tests.Deploy;

/// <summary>
/// deploy/ holds one configuration for every way of running several instances (compose.yaml, the systemd units, the
/// multi-instance tests): these hold its pieces to each other, so that the names and addresses cannot drift apart.
/// (No container runtime here: the compose file is read as YAML, not run; the multi-instance tests run its
/// instance.env on real processes.)
/// </summary>
public sealed class DeployConfigurationTests
{
    private static string Deploy(string path) => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", path));

    private static Dictionary<string, string> Env() => DeployEnvironment.ReadFile().ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);

    [Fact]
    public void InstanceEnv_CommonFormat_EverySettingDocumentedInTheReadme()
    {
        var env = Env();
        Assert.Equal("Postgres", env["Storage__Provider"]);
        Assert.Contains("ConnectionStrings__Default", env.Keys);
        Assert.Contains("Redis__ConnectionString", env.Keys);
        Assert.Contains("Storage__DataDirectory", env.Keys);

        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var rows = readme.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        foreach (var name in env.Keys.Where(n => !n.StartsWith("Logging__", StringComparison.Ordinal)))
        {
            var key = Regex.Replace(name.Replace("__", ":", StringComparison.Ordinal), @":\d+$", "");
            var section = key.Contains(':', StringComparison.Ordinal) ? key[..key.LastIndexOf(':')] : "";
            var leaf = key[(key.LastIndexOf(':') + 1)..];
            var documented = readme.Contains($"`{key}`", StringComparison.Ordinal)
                || rows.Any(r => section.Length > 0 && r.StartsWith($"| `{section}:", StringComparison.Ordinal) && r.Contains($"`{leaf}`", StringComparison.Ordinal));
            Assert.True(documented, $"{name} ({key}) is set in deploy/instance.env but not documented in README.md");
        }
    }

    [Fact]
    public void Compose_TwoAppInstancesBehindAStickyProxy_ShareTheEnvFile_PostgresAndRedisMatchIt()
    {
        var env = Env();
        var yaml = new YamlStream();
        yaml.Load(new MergingParser(new Parser(new StringReader(Deploy("compose.yaml")))));
        var services = Map(yaml.Documents[0].RootNode, "services");
        var apps = services.Children.Where(s => Strings(s.Value, "env_file").Contains("instance.env")).Select(s => ((YamlScalarNode)s.Key).Value!).ToList();
        Assert.True(apps.Count >= 2, "two app instances read instance.env");

        var upstreams = new List<string>();
        foreach (var app in apps)
        {
            var service = Map(services, app);
            var build = Map(service, "build");
            Assert.Equal("..", Scalar(build, "context"));
            Assert.Equal("deploy/Dockerfile", Scalar(build, "dockerfile"));
            var own = Map(service, "environment").Children.Select(c => ((YamlScalarNode)c.Key).Value!).ToList();
            Assert.Empty(own.Intersect(env.Keys)); // per instance only the listening port, the rest is shared
            upstreams.Add($"{app}:{Scalar(Map(service, "environment"), "ASPNETCORE_HTTP_PORTS")}");
            var volumes = Strings(service, "volumes");
            Assert.Contains(volumes, v => v.EndsWith(":" + env["Storage__DataDirectory"], StringComparison.Ordinal));
            Assert.Contains(volumes, v => v.EndsWith(":" + Path.GetDirectoryName(env["Geo__DatabasePath"]) + ":ro", StringComparison.Ordinal));
            Assert.Contains("postgres", Map(service, "depends_on").Children.Keys.Select(k => ((YamlScalarNode)k).Value));
            Assert.Contains("redis", Map(service, "depends_on").Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        }

        // The proxy spreads over exactly those instances, sticky, and is the trusted proxy of instance.env.
        var proxy = Map(services, "proxy");
        Assert.Equal(upstreams.Order(StringComparer.Ordinal), Scalar(Map(proxy, "environment"), "IMMUTABLE_UPSTREAMS")!.Split(' ').Order(StringComparer.Ordinal));
        Assert.Contains("./Caddyfile:/etc/caddy/Caddyfile:ro", Strings(proxy, "volumes"));
        Assert.Equal(env["Geo__TrustedProxies__0"], Scalar(Map(Map(proxy, "networks"), "immutable"), "ipv4_address"));
        var caddyfile = Deploy("Caddyfile");
        Assert.Contains("reverse_proxy {$IMMUTABLE_UPSTREAMS}", caddyfile, StringComparison.Ordinal);
        Assert.Contains("lb_policy cookie", caddyfile, StringComparison.Ordinal);

        // PostgreSQL and Redis are the services instance.env points at.
        var connection = new NpgsqlConnectionStringBuilder(env["ConnectionStrings__Default"]);
        var postgres = Map(Map(services, connection.Host!), "environment");
        Assert.Equal(connection.Database, Scalar(postgres, "POSTGRES_DB"));
        Assert.Equal(connection.Username, Scalar(postgres, "POSTGRES_USER"));
        Assert.Equal(connection.Password, Scalar(postgres, "POSTGRES_PASSWORD"));
        var redisHost = env["Redis__ConnectionString"].Split(',')[0].Split(':')[0];
        Assert.Contains(redisHost, services.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void SystemdUnits_EveryInstanceReadsTheEnvFile_AndTheProxyKnowsEveryInstance()
    {
        var env = Env();
        var unit = Deploy("systemd/immutable@.service").Split('\n');
        Assert.Contains("EnvironmentFile=/etc/immutable/instance.env", unit);
        Assert.Contains("Environment=ASPNETCORE_URLS=http://127.0.0.1:%i", unit);
        Assert.Contains($"WorkingDirectory={env["Storage__DataDirectory"]}", unit);
        Assert.Contains(unit, l => l.StartsWith("ReadWritePaths=", StringComparison.Ordinal) && l.Contains(env["Storage__DataDirectory"], StringComparison.Ordinal));
        var exec = Assert.Single(unit, l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.EndsWith(" " + AppPathInImage(), exec, StringComparison.Ordinal);

        var ports = Regex.Matches(Deploy("systemd/immutable.target"), @"immutable@(\d+)\.service").Select(m => m.Groups[1].Value).ToList();
        Assert.True(ports.Count >= 2, "the target starts two instances");
        var upstreams = Regex.Match(Deploy("systemd/caddy-upstreams.conf"), "IMMUTABLE_UPSTREAMS=([^\"]+)\"").Groups[1].Value.Split(' ');
        Assert.Equal(ports.Select(p => "127.0.0.1:" + p), upstreams);
        Assert.Contains("127.0.0.1", env.Where(v => v.Key.StartsWith("Geo__TrustedProxies__", StringComparison.Ordinal)).Select(v => v.Value));
    }

    [Fact]
    public void Dockerfile_CopiesEverythingTheAppBuildsFrom_AndRunsWhereTheUnitsDo()
    {
        var dockerfile = Deploy("Dockerfile");
        var copied = Regex.Matches(dockerfile, @"^COPY (?!--from)(.+) \S+$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        // The web project and every project it references, recursively.
        var projects = new Queue<string>(["Immutable.Web/Immutable.Web.csproj"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (projects.TryDequeue(out var project))
        {
            if (!seen.Add(project)) continue;
            var folder = project[..project.IndexOf('/', StringComparison.Ordinal)];
            Assert.Contains(folder + "/", copied);
            var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, project));
            foreach (Match reference in Regex.Matches(text, "ProjectReference Include=\"\\.\\.\\\\([^\\\\]+)\\\\([^\"]+)\""))
                projects.Enqueue(reference.Groups[1].Value + "/" + reference.Groups[2].Value);
        }
        // The build files at the root and what they name beside themselves.
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" }) Assert.Contains(file, copied);
        foreach (Match m in Regex.Matches(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Directory.Build.props")), @"\$\(MSBuildThisFileDirectory\)([\w.]+)"))
            Assert.Contains(m.Groups[1].Value, copied);

        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{AppPathInImage()}\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains($"WORKDIR {Env()["Storage__DataDirectory"]}", dockerfile, StringComparison.Ordinal);
        Assert.Contains("**/obj/", Deploy("Dockerfile.dockerignore"), StringComparison.Ordinal);
    }

    private static string AppPathInImage() => "/opt/immutable/app/Immutable.Web.dll";

    private static YamlMappingNode Map(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode map
            ? map
            : throw new Xunit.Sdk.XunitException($"compose.yaml: no mapping '{key}' at {node.Start}");

    private static string? Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static List<string> Strings(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? value is YamlSequenceNode sequence ? sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToList() : [((YamlScalarNode)value).Value!]
            : [];
}
