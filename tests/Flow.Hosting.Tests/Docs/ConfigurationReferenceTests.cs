using System.Text.RegularExpressions;
using Flow.Pipelines;
using Flow.Settings;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Hosting.Tests.Docs;

/// <summary>
/// The README's configuration reference cannot drift from the code: its settings table lists exactly
/// the settings the reader knows, and each built-in's row names every parameter it declares.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public void SettingsTable_ListsExactlyTheSettingsFlowReads()
    {
        var section = Section("## Settings");
        var documented = SettingRow().Matches(section).Select(m => m.Groups["key"].Value).ToList();

        Assert.Equal(documented.Distinct().Count(), documented.Count);
        Assert.Equal(FlowOptionsReader.KnownSettings().Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void BuiltInNodesTable_NamesEveryDeclaredParameterOfEveryBuiltIn_AndNoOtherNode()
    {
        var section = Section("## Built-in nodes");
        var rows = NodeRow().Matches(section).ToDictionary(m => (m.Groups["kind"].Value, m.Groups["alias"].Value), m => m.Groups["text"].Value);
        var declared = BuiltInNodes.CreateRegistry().DeclaredParameters().ToList();

        Assert.Equal(
            declared.Select(d => $"{d.Kind.ToString().ToLowerInvariant()} {d.Alias}").Order(StringComparer.Ordinal),
            rows.Keys.Select(k => $"{k.Item1} {k.Item2}").Order(StringComparer.Ordinal));
        foreach (var (kind, alias, parameters) in declared)
        {
            var text = rows[(kind.ToString().ToLowerInvariant(), alias)];
            var missing = parameters.Where(p => !text.Contains($"`{p}`", StringComparison.Ordinal)).ToList();
            Assert.True(missing.Count == 0, $"README's row for {kind} {alias} does not name: {string.Join(", ", missing)}");
        }
    }

    [Fact]
    public void StreamsTable_ListsExactlyTheParametersTheRedisStreamNodesDeclare()
    {
        var section = Section("## Streams");
        var documented = StreamRow().Matches(section)
            .SelectMany(m => m.Groups["node"].Value == "both" ? new[] { ("source", m.Groups["name"].Value), ("sink", m.Groups["name"].Value) } : [(m.Groups["node"].Value, m.Groups["name"].Value)])
            .Select(p => $"{p.Item1} {p.Item2}")
            .ToList();
        var registry = new NodeTypeRegistry();
        var services = new ServiceCollection().AddRedisStreams();
        foreach (var registration in services.Where(d => d.ImplementationInstance is NodeTypeRegistration).Select(d => (NodeTypeRegistration)d.ImplementationInstance!))
        {
            registration.Apply(registry);
        }

        var declared = registry.DeclaredParameters()
            .SelectMany(d => d.Parameters.Select(p => $"{d.Kind.ToString().ToLowerInvariant()} {p}"))
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(declared.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    private static string Section(string heading)
    {
        var start = Readme.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the README has no section '{heading}'");
        var end = Readme.IndexOf("\n## ", start + heading.Length + 2, StringComparison.Ordinal);
        return end < 0 ? Readme[start..] : Readme[start..end];
    }

    [GeneratedRegex(@"^\| `(?<key>Flow:[A-Za-z:]+)` \|", RegexOptions.Multiline)]
    private static partial Regex SettingRow();

    [GeneratedRegex(@"^\| (?<node>source|sink|both) \| `(?<name>[A-Za-z]+)` \|", RegexOptions.Multiline)]
    private static partial Regex StreamRow();

    [GeneratedRegex(@"^\| (?<kind>source|step|sink) `(?<alias>[A-Za-z]+)` \|(?<text>.*)$", RegexOptions.Multiline)]
    private static partial Regex NodeRow();
}
