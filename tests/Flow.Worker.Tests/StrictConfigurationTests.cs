using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flow.Worker.Tests;

/// <summary>
/// Strict configuration through the real process: every problem of one configuration is reported
/// in one run, each as <c>  PATH: message (origin)</c>, with exit code 2 and nothing run.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StrictConfigurationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A key that came from the workspace's config.json (the origin names the file).</summary>
    private static readonly Regex FromConfigFile = new(@" \(in (\S*/)?config\.json\)$");

    private const string Generate = """{ "Name": "gen", "Type": "Generate", "Params": { "Count": 100 } }""";

    private const string Out = """{ "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } }""";

    private static string GoodPipeline => $$"""{ "Sources": [ {{Generate}} ], "Sinks": [ {{Out}} ] }""";

    [Fact]
    public async Task Validate_UnknownStepParameter_NamesTheNearestOneAndTheRequiredOneItReplaced()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            { "Sources": [ {{Generate}} ], "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Wher": "delay > 15" } } ], "Sinks": [ {{Out}} ] }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        var unknown = ErrorLine(flow, "Flow:Pipelines:p:Steps:0:Params:Wher");
        Assert.StartsWith("  Flow:Pipelines:p:Steps:0:Params:Wher: unknown parameter 'Wher' for step type 'Filter' (did you mean 'Where'?)", unknown, StringComparison.Ordinal);
        Assert.Matches(FromConfigFile, unknown);
        Assert.StartsWith("  Flow:Pipelines:p:Steps:0:Params:Where: is required", ErrorLine(flow, "Flow:Pipelines:p:Steps:0:Params:Where"), StringComparison.Ordinal);
        Assert.Equal(2, ErrorLines(flow).Count);
    }

    [Fact]
    public async Task Validate_UnknownSourceParameter_SuggestsTheNearestOne()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ { "Name": "airports", "Type": "Csv", "Params": { "Path": {{TestData.Quote(TestData.AirportsCsv)}}, "Delimeter": ";" } } ],
              "Sinks": [ {{Out}} ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        var line = ErrorLine(flow, "Flow:Pipelines:p:Sources:0:Params:Delimeter");
        Assert.StartsWith("  Flow:Pipelines:p:Sources:0:Params:Delimeter: unknown parameter 'Delimeter' for source type 'Csv' (did you mean 'Delimiter'?)", line, StringComparison.Ordinal);
        Assert.Matches(FromConfigFile, line);
    }

    [Fact]
    public async Task Validate_UnknownSettingsUnderFlowCacheAndRun_AreEachReportedInOneRun()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WriteConfig($$"""
            {
              "Flow": {
                "Cache": { "Stor": "File", "Enabld": true },
                "Pipelnes": { "q": { "BatchSize": 10 } },
                "Run": { "Reprot": "report.json" },
                "Pipelines": { "p": {{GoodPipeline}} }
              }
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("flow: configuration errors:", flow.StandardError, StringComparison.Ordinal);
        foreach (var (path, typo, suggestion) in new[]
                 {
                     ("Flow:Cache:Stor", "Stor", "Store"),
                     ("Flow:Cache:Enabld", "Enabld", "Enabled"),
                     ("Flow:Pipelnes", "Pipelnes", "Pipelines"),
                     ("Flow:Run:Reprot", "Reprot", "Report"),
                 })
        {
            var line = ErrorLine(flow, path);
            Assert.StartsWith($"  {path}: unknown setting '{typo}' (did you mean '{suggestion}'?)", line, StringComparison.Ordinal);
            Assert.Matches(FromConfigFile, line);
        }

        Assert.Equal(4, ErrorLines(flow).Count);
    }

    [Fact]
    public async Task Validate_UnknownSettings_NameTheEnvironmentVariableTheCommandLineOrTheFileTheyCameFrom()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WriteConfig($$"""{ "Flow": { "Pipelnes": {}, "Pipelines": { "p": {{GoodPipeline}} } } }""");
        var environment = new Dictionary<string, string>
        {
            ["FLOW_Cache__Stor"] = "x",
            ["Flow__Run__Reprot"] = "report.json",
        };

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, environment, "validate", "--config", config, "--Flow:Cache:Enabld=true");

        Assert.Equal(2, flow.ExitCode);
        Assert.EndsWith(" (from environment variable FLOW_Cache__Stor)", ErrorLine(flow, "Flow:Cache:Stor"), StringComparison.Ordinal);
        Assert.EndsWith(" (from environment variable Flow__Run__Reprot)", ErrorLine(flow, "Flow:Run:Reprot"), StringComparison.Ordinal);
        Assert.EndsWith(" (from the command line)", ErrorLine(flow, "Flow:Cache:Enabld"), StringComparison.Ordinal);
        Assert.Matches(FromConfigFile, ErrorLine(flow, "Flow:Pipelnes"));
    }

    [Fact]
    public async Task Validate_KeyFromTheConfigFile_NamesThatFilesPath()
    {
        using var workspace = new FlowWorkspace();
        workspace.WriteConfig("""{ "Flow": { "Cache": { "Stor": "File" } } }""", "appsettings.json");
        var config = workspace.WriteConfig($$"""{ "Flow": { "Run": { "Reprot": "r.json" }, "Pipelines": { "p": {{GoodPipeline}} } } }""", "conf/appsettings.json");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.EndsWith($" (in {config})", ErrorLine(flow, "Flow:Run:Reprot"), StringComparison.Ordinal);
        Assert.DoesNotContain($"(in {config})", ErrorLine(flow, "Flow:Cache:Stor"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_KeyFromAYamlConfigFile_NamesThatFile()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WriteFile("pipeline.yaml", """
            Flow:
              Cahce:
                Store: File
              Pipelines:
                p:
                  Sources:
                    - Name: gen
                      Type: Generate
                  Sinks:
                    - Name: out
                      Type: JsonLines
                      Params:
                        Path: out/result.jsonl
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        var line = ErrorLine(flow, "Flow:Cahce");
        Assert.StartsWith("  Flow:Cahce: unknown setting 'Cahce' (did you mean 'Cache'?)", line, StringComparison.Ordinal);
        Assert.EndsWith($" (in {config})", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_TtlInDays_IsAccepted()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WriteConfig($$"""{ "Flow": { "Cache": { "Ttl": "7d" }, "Pipelines": { "p": {{GoodPipeline}} } } }""");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Contains("configuration is valid (p: 2 nodes)", flow.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BadDurationsAndBoolean_AreReportedTogetherInFlowsOwnWords()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WriteConfig($$"""{ "Flow": { "Cache": { "Ttl": "abc" }, "Pipelines": { "p": {{GoodPipeline}} } } }""");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config, "--Flow:DrainTimeout=abc", "--use-cache=maybe");

        Assert.Equal(2, flow.ExitCode);
        var ttl = ErrorLine(flow, "Flow:Cache:Ttl");
        Assert.StartsWith("  Flow:Cache:Ttl: 'abc' is not a duration such as ", ttl, StringComparison.Ordinal);
        Assert.Matches(FromConfigFile, ttl);
        Assert.StartsWith("  Flow:DrainTimeout: 'abc' is not a duration such as ", ErrorLine(flow, "Flow:DrainTimeout"), StringComparison.Ordinal);
        Assert.StartsWith("  Flow:Cache:Enabled: 'maybe' is not true or false (from the command line)", ErrorLine(flow, "Flow:Cache:Enabled"), StringComparison.Ordinal);
        foreach (var dotnetWords in new[] { "is not a valid value for", "TimeSpan", "Boolean", "Failed to convert", "Exception" })
        {
            Assert.DoesNotContain(dotnetWords, flow.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Validate_BatchSizeWithAHugeExponent_IsOutOfRange()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""{ "BatchSize": "1e12", "Sources": [ {{Generate}} ], "Sinks": [ {{Out}} ] }""");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.StartsWith("  Flow:Pipelines:p:BatchSize: '1e12' is out of range: it must be between 1 and 1,000,000", ErrorLine(flow, "Flow:Pipelines:p:BatchSize"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BatchSizeWithAnExponent_IsAWholeNumber()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline("""
            {
              "BatchSize": "1e3",
              "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 5000 } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--report", "report.json");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
        Assert.Equal(5, report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes").GetProperty("gen").GetProperty("batches").GetInt64());
        Assert.Equal(5000, FlowWorkspace.LineCount(workspace.File("out/result.jsonl")));
    }

    [Fact]
    public async Task Run_SelectWithNoFields_IsAConfigurationErrorAndWritesNothing()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            { "Sources": [ {{Generate}} ], "Steps": [ { "Name": "none", "Type": "Select", "Params": { "Fields": [] } } ], "Sinks": [ {{Out}} ] }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.StartsWith("  Flow:Pipelines:p:Steps:0:Params:Fields: is required", ErrorLine(flow, "Flow:Pipelines:p:Steps:0:Params:Fields"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run with a bad configuration");
    }

    public static TheoryData<string, string, string, string> BadSinkPaths()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var verb in new[] { "validate", "run" })
        {
            data.Add(verb,
                """
                { "Name": "o1", "Type": "JsonLines", "Params": { "Path": "out/x.jsonl" } },
                { "Name": "o2", "Type": "Csv", "Params": { "Path": "out/x.jsonl" } }
                """,
                "Flow:Pipelines:p:Sinks:1:Params:Path",
                "is also the output of sink 'o1' (Flow:Pipelines:p:Sinks:0)");
            data.Add(verb,
                """{ "Name": "o1", "Type": "JsonLines", "Params": { "Path": "existing" } }""",
                "Flow:Pipelines:p:Sinks:0:Params:Path",
                "'existing' is a folder");
            data.Add(verb,
                """{ "Name": "o1", "Type": "JsonLines", "Params": { "Path": "newdir/" } }""",
                "Flow:Pipelines:p:Sinks:0:Params:Path",
                "'newdir/' is a folder");
            data.Add(verb,
                """{ "Name": "o1", "Type": "Csv", "Params": { "Path": "in.csv" } }""",
                "Flow:Pipelines:p:Sinks:0:Params:Path",
                "is read by 'src' of the same pipeline");
            data.Add(verb,
                """{ "Name": "o1", "Type": "Csv", "Params": { "Path": "look.csv" } }""",
                "Flow:Pipelines:p:Sinks:0:Params:Path",
                "is read by 'lk' of the same pipeline");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadSinkPaths))]
    public async Task BadSinkPath_ExitsTwoBeforeWritingAnything(string verb, string sinks, string path, string message)
    {
        using var workspace = new FlowWorkspace();
        var input = "a,b\n1,2\n3,4\n"u8.ToArray();
        workspace.WriteFile("in.csv", input);
        workspace.WriteFile("look.csv", input);
        Directory.CreateDirectory(workspace.File("existing"));
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ { "Name": "src", "Type": "Csv", "Params": { "Path": "in.csv" } } ],
              "Steps": [ { "Name": "lk", "Type": "Lookup", "Params": { "File": "look.csv", "Key": "a", "On": "a", "Prefix": "l_" } } ],
              "Sinks": [ {{sinks}} ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, verb, "--config", config);

        Assert.True(flow.ExitCode == 2, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.Contains(message, ErrorLine(flow, path), StringComparison.Ordinal);
        Assert.Equal(input, await File.ReadAllBytesAsync(workspace.File("in.csv")));
        Assert.Equal(input, await File.ReadAllBytesAsync(workspace.File("look.csv")));
        Assert.False(Directory.Exists(workspace.File("out")));
        Assert.False(Directory.Exists(workspace.File("newdir")));
        Assert.Empty(Directory.GetFileSystemEntries(workspace.File("existing")));
        Assert.Empty(Directory.GetFiles(workspace.Path, "*.partial", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("reports/")]
    [InlineData("reports")]
    public async Task Run_ReportPathThatIsAFolder_ExitsTwoBeforeAnyWorkLeavingNoPartialReport(string report)
    {
        using var workspace = new FlowWorkspace();
        if (!report.EndsWith('/'))
        {
            Directory.CreateDirectory(workspace.File(report));
        }

        var config = workspace.WritePipeline(GoodPipeline);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--report", report);

        Assert.True(flow.ExitCode == 2, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.StartsWith($"  Flow:Run:Report: '{report}' is a folder", ErrorLine(flow, "Flow:Run:Report"), StringComparison.Ordinal);
        Assert.DoesNotContain("Pipeline p started", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
        Assert.Empty(Directory.GetFiles(workspace.Path, "*.partial", SearchOption.AllDirectories));
        Assert.False(File.Exists(workspace.File("reports.partial")));
        if (report.EndsWith('/'))
        {
            Assert.False(Directory.Exists(workspace.File("reports")), "no folder may be made for the report");
        }
        else
        {
            Assert.Empty(Directory.GetFileSystemEntries(workspace.File(report)));
        }
    }

    [Fact]
    public async Task Validate_DuplicateNodeNames_ReportsOnlyTheDuplicate()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ {{Generate}} ],
              "Steps": [ { "Name": "x", "Type": "Select", "Params": { "Fields": [ "id" ] } }, { "Name": "x", "Type": "Drop", "Params": { "Fields": [ "id" ] } } ],
              "Sinks": [ {{Out}} ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.StartsWith("  Flow:Pipelines:p:Steps:1:Name: duplicate node name 'x' (also Flow:Pipelines:p:Steps:0)", Assert.Single(ErrorLines(flow)), StringComparison.Ordinal);
        Assert.DoesNotContain("cannot read its own output", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_TwoStepCycleWithASinkAfterIt_NamesOnlyTheNodesOfTheCycle()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ {{Generate}} ],
              "Steps": [
                { "Name": "a", "Type": "Select", "Inputs": [ "b" ], "Params": { "Fields": [ "id" ] } },
                { "Name": "b", "Type": "Select", "Inputs": [ "a" ], "Params": { "Fields": [ "id" ] } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        var lines = ErrorLines(flow);
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("  Flow:Pipelines:p:Steps:0:Inputs: 'a' is part of a cycle (the nodes a, b read from each other)", ErrorLine(flow, "Flow:Pipelines:p:Steps:0:Inputs"), StringComparison.Ordinal);
        Assert.StartsWith("  Flow:Pipelines:p:Steps:1:Inputs: 'b' is part of a cycle (the nodes a, b read from each other)", ErrorLine(flow, "Flow:Pipelines:p:Steps:1:Inputs"), StringComparison.Ordinal);
        Assert.DoesNotContain("Sinks", flow.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("'out'", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SourcePathThatIsAFolder_SaysItIsAFolder()
    {
        using var workspace = new FlowWorkspace();
        Directory.CreateDirectory(workspace.File("data"));
        var config = workspace.WritePipeline($$"""
            { "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": "data" } } ], "Sinks": [ {{Out}} ] }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.StartsWith($"  Flow:Pipelines:p:Sources:0:Params:Path: '{workspace.File("data")}' is a folder, not a file", ErrorLine(flow, "Flow:Pipelines:p:Sources:0:Params:Path"), StringComparison.Ordinal);
        Assert.DoesNotContain("denied", flow.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The lines of the configuration error list: <c>  PATH: message (origin)</c>.</summary>
    private static List<string> ErrorLines(FlowProcess flow) =>
        flow.StandardError.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("  Flow:", StringComparison.Ordinal)).ToList();

    /// <summary>The one error line at <paramref name="path"/>; fails (showing stderr) when there is none or several.</summary>
    private static string ErrorLine(FlowProcess flow, string path)
    {
        var lines = ErrorLines(flow).Where(l => l.StartsWith($"  {path}: ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"expected one error at {path}, found {lines.Count}; stderr:{Environment.NewLine}{flow.StandardError}");
        return lines[0];
    }
}
