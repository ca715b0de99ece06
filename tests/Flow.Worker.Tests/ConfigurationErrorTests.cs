namespace Flow.Worker.Tests;

[Collection(EndToEndCollection.Name)]
public sealed class ConfigurationErrorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string Flights => $$"""{ "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } }""";

    private const string Out = """{ "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } }""";

    public static TheoryData<string, string, string, string> BadPipelines()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var verb in new[] { "validate", "run" })
        {
            data.Add(verb, "unknown step type", $$"""{ "Sources": [ {{Flights}} ], "Steps": [ { "Name": "x", "Type": "NoSuchStep" } ], "Sinks": [ {{Out}} ] }""",
                "Flow:Pipelines:p:Steps:0:Type");
            data.Add(verb, "cycle", $$"""
                { "Sources": [ {{Flights}} ],
                  "Steps": [
                    { "Name": "a", "Type": "Select", "Inputs": [ "b" ], "Params": { "Fields": [ "delay" ] } },
                    { "Name": "b", "Type": "Select", "Inputs": [ "a" ], "Params": { "Fields": [ "delay" ] } } ],
                  "Sinks": [ {{Out}} ] }
                """,
                "Flow:Pipelines:p:Steps:0:Inputs");
            data.Add(verb, "missing input", $$"""{ "Sources": [ {{Flights}} ], "Steps": [ { "Name": "a", "Type": "Select", "Inputs": [ "ghost" ], "Params": { "Fields": [ "delay" ] } } ], "Sinks": [ {{Out}} ] }""",
                "Flow:Pipelines:p:Steps:0:Inputs:0");
            data.Add(verb, "bad expression", $$"""
                { "Sources": [ {{Flights}} ],
                  "Steps": [ { "Name": "ok", "Type": "Filter", "Params": { "Where": "delay > 15" } }, { "Name": "bad", "Type": "Filter", "Params": { "Where": "delay > > 15" } } ],
                  "Sinks": [ {{Out}} ] }
                """,
                "Flow:Pipelines:p:Steps:1:Params:Where");
            data.Add(verb, "unreadable file", $$"""{ "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": "no/such/file.json" } } ], "Sinks": [ {{Out}} ] }""",
                "Flow:Pipelines:p:Sources:0:Params:Path");
            data.Add(verb, "bad duration", $$"""{ "Sources": [ {{Flights}} ], "Steps": [ { "Name": "nap", "Type": "Sleep", "Params": { "PerRecord": "abc" } } ], "Sinks": [ {{Out}} ] }""",
                "Flow:Pipelines:p:Steps:0:Params:PerRecord");
            data.Add(verb, "duplicate names", $$"""
                { "Sources": [ {{Flights}} ],
                  "Steps": [ { "Name": "x", "Type": "Select", "Params": { "Fields": [ "delay" ] } }, { "Name": "x", "Type": "Drop", "Params": { "Fields": [ "delay" ] } } ],
                  "Sinks": [ {{Out}} ] }
                """,
                "Flow:Pipelines:p:Steps:1:Name");
            data.Add(verb, "no sink", $$"""{ "Sources": [ {{Flights}} ] }""", "Flow:Pipelines:p:Sinks");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadPipelines))]
    public async Task BadConfiguration_ExitsTwoNamingTheConfigurationPath(string verb, string problem, string pipeline, string path)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(pipeline);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, verb, "--config", config);

        Assert.True(flow.ExitCode == 2, $"{problem}: exit code {flow.ExitCode}");
        Assert.Contains(path + ":", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run with a bad configuration");
    }

    [Fact]
    public async Task Validate_SeveralProblems_ReportsEveryOneAtOnce()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline("""
            {
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": "missing.json" } } ],
              "Steps": [
                { "Name": "a", "Type": "NoSuchStep" },
                { "Name": "b", "Type": "Filter", "Params": { "Where": "delay >" } },
                { "Name": "c", "Type": "Sleep", "Params": { "PerBatch": "soon" } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("flow: configuration errors:", flow.StandardError, StringComparison.Ordinal);
        foreach (var path in new[]
                 {
                     "Flow:Pipelines:p:Sources:0:Params:Path:",
                     "Flow:Pipelines:p:Steps:0:Type:",
                     "Flow:Pipelines:p:Steps:1:Params:Where:",
                     "Flow:Pipelines:p:Steps:2:Params:PerBatch:",
                 })
        {
            Assert.Contains(path, flow.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Validate_GoodConfiguration_ExitsZero()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""{ "Sources": [ {{Flights}} ], "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ], "Sinks": [ {{Out}} ] }""");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(0, flow.ExitCode);
        Assert.Contains("configuration is valid (p: 3 nodes)", flow.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    public async Task NoPipelineConfigured_ExitsTwoSayingSo(string verb)
    {
        using var workspace = new FlowWorkspace();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, verb);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("Flow:Pipelines: no pipeline is configured", flow.StandardError, StringComparison.Ordinal);
    }

    // --config works before the command as well as after it: the command after it is the one that
    // runs, never the pipeline.
    [Fact]
    public async Task ValidateAfterConfig_Validates_InsteadOfRunningThePipeline()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(GeneratedPipeline);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "--config", config, "validate");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Contains("flow: configuration is valid (p: 2 nodes)", flow.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
    }

    [Fact]
    public async Task CacheAfterConfig_WithoutItsCommand_ExitsTwoInsteadOfRunningThePipeline()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(GeneratedPipeline);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "--config", config, "cache");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("flow: 'flow cache' needs a command: stats|clear|gc|explain", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
    }

    private const string GeneratedPipeline = """
        {
          "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 10 } } ],
          "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/x.jsonl" } } ]
        }
        """;

    [Fact]
    public async Task Run_PipelineOptionNamingNoPipeline_ExitsTwoSayingSo()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""{ "Sources": [ {{Flights}} ], "Sinks": [ {{Out}} ] }""", name: "flights");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--pipeline", "nope");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("no pipeline named 'nope' (configured: flights)", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")));
    }
}

/// <summary>A configuration file that is not JSON: one line naming the file and the position, counted from 1 as an editor does.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class MalformedJsonConfigurationTests
{
    [Theory]
    [InlineData("config.json", "--config", "--config: '{0}' is not valid JSON at line 2, column 25: ',' is an invalid start of a property name")]
    [InlineData("appsettings.json", null, "appsettings.json is not valid JSON at line 2, column 25: ',' is an invalid start of a property name")]
    public async Task MalformedJson_SaysFileLineAndColumnFromOne_AndExits2(string file, string? option, string expected)
    {
        using var workspace = new FlowWorkspace();
        var path = workspace.WriteFile(file, "{ \"Flow\": { \"Pipelines\": {\n \"p\": { \"BatchSize\": 10,, } } } }\n");
        string[] args = option is null ? ["validate"] : ["validate", option, file];

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), args);

        Assert.Equal(2, flow.ExitCode);
        var line = Assert.Single(flow.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("flow: configuration error: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, path), line, StringComparison.Ordinal);
    }
}
