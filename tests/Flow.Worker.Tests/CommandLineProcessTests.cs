using System.Reflection;

namespace Flow.Worker.Tests;

/// <summary>
/// The command line of the real <c>flow</c> process: a working folder whose appsettings.json holds
/// a pipeline, so that a command line that wrongly ran it would leave out/ behind.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CommandLineProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("--frobnicate", "unknown option '--frobnicate' for 'flow'", "--frobnicate")]
    [InlineData("--pipline", "unknown option '--pipline' for 'flow' (did you mean '--pipeline'?)", "--pipline", "flights")]
    [InlineData("-x", "unknown option '-x' for 'flow'", "-x")]
    [InlineData("--frobnicate", "unknown option '--frobnicate' for 'flow run'", "run", "--frobnicate")]
    public async Task UnknownOption_ExitsTwoNamingIt_AndRunsNothing(string option, string problem, params string[] args)
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);

        Assert.True(flow.ExitCode == 2, $"exit {flow.ExitCode}: {flow.StandardError}");
        Assert.Contains($"flow: {problem}{Environment.NewLine}", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains($"'{option}'", flow.StandardError, StringComparison.Ordinal);
        Assert.Equal("", flow.StandardOutput);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task Version_PrintsTheInformationalVersion_AndExitsZero(string command)
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, command);

        Assert.True(flow.ExitCode == 0, $"exit {flow.ExitCode}: {flow.StandardError}");
        var version = typeof(FlowCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(version + Environment.NewLine, flow.StandardOutput);
        Assert.Equal("", flow.StandardError);
        Assert.False(Directory.Exists(workspace.File("out")));
    }

    [Theory]
    [InlineData("--pipeline", "NAME", "run", "--pipeline")]
    [InlineData("--report", "FILE", "run", "--report")]
    [InlineData("--pipeline", "NAME", "--pipeline")]
    [InlineData("--pipeline", "NAME", "cache", "clear", "--pipeline")]
    public async Task OptionWithoutItsValue_ExitsTwoSayingItNeedsOne_AndRunsNothing(string option, string value, params string[] args)
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);

        Assert.True(flow.ExitCode == 2, $"exit {flow.ExitCode}: {flow.StandardError}");
        Assert.Contains($"flow: option '{option}' needs a value: {option} {value}", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
        Assert.False(Directory.Exists(workspace.File(".flow")), "not even the cache may be opened");
    }

    [Theory]
    [InlineData("flow", "--help")]
    [InlineData("flow", "-h")]
    [InlineData("flow", "help")]
    [InlineData("flow run", "run", "--help")]
    [InlineData("flow validate", "validate", "--help")]
    [InlineData("flow cache", "cache", "--help")]
    [InlineData("flow cache stats", "cache", "stats", "--help")]
    [InlineData("flow cache clear", "cache", "clear", "--help")]
    [InlineData("flow cache gc", "help", "cache", "gc")]
    [InlineData("flow cache explain", "cache", "explain", "--help")]
    public async Task Help_OfEveryCommand_IsOnStandardOutput_AndExitsZero(string command, params string[] args)
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);

        Assert.True(flow.ExitCode == 0, $"exit {flow.ExitCode}: {flow.StandardError}");
        Assert.Contains($"Usage:{Environment.NewLine}  {command} ", flow.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  --config <FILE> ", flow.StandardOutput, StringComparison.Ordinal);
        if (command.StartsWith("flow cache ", StringComparison.Ordinal) || command is "flow" or "flow run" or "flow validate")
        {
            Assert.Contains("  --pipeline <NAME> ", flow.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Equal("", flow.StandardError);
        Assert.False(Directory.Exists(workspace.File("out")));
    }

    [Fact]
    public async Task Help_OfFlow_ListsTheCommandsAndTheRunOptions()
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "help");

        Assert.Equal(0, flow.ExitCode);
        foreach (var line in new[] { "  --use-cache <true|false> ", "  --report <FILE> ", "  --version ", "  run ", "  validate ", "  cache ", "  help <COMMAND> ", "  version " })
        {
            Assert.Contains(line, flow.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cache_WithoutACommand_ExitsTwoListingThem()
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "cache");

        Assert.True(flow.ExitCode == 2, $"exit {flow.ExitCode}: {flow.StandardError}");
        Assert.StartsWith("flow: 'flow cache' needs a command: stats|clear|gc|explain" + Environment.NewLine, flow.StandardError, StringComparison.Ordinal);
        Assert.Equal("", flow.StandardOutput);
    }

    [Fact]
    public async Task OverrideInTheSpaceForm_ExitsTwoShowingTheFormToWrite()
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "--Flow:Cache:Enabled", "false");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("flow: override '--Flow:Cache:Enabled' has no value: write --Flow:Cache:Enabled=false", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("run")]
    public async Task UseCacheNotTrueOrFalse_IsAConfigurationError_ReportedWithTheOthers(string command)
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, command, "--use-cache", "maybe", "--Flow:DrainTimeout=abc");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("  Flow:Cache:Enabled: 'maybe' is not true or false (from the command line)", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains("  Flow:DrainTimeout: 'abc' is not a duration", flow.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.File("out")), "nothing may run");
    }

    [Fact]
    public async Task Override_WithoutACommand_ReachesConfiguration()
    {
        using var workspace = WorkspaceWithAPipeline();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "--Flow:Pipelines:p:Sinks:0:Params:Path=elsewhere/x.jsonl", "--use-cache=false");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Equal(10, FlowWorkspace.LineCount(workspace.File("elsewhere/x.jsonl")));
        Assert.False(Directory.Exists(workspace.File("out")));
    }

    // A pipeline in the working folder's appsettings.json: plain `flow` runs it and writes out/x.jsonl.
    private static FlowWorkspace WorkspaceWithAPipeline()
    {
        var workspace = new FlowWorkspace();
        File.WriteAllText(workspace.File("appsettings.json"), """
            {
              "Flow": {
                "Pipelines": {
                  "p": {
                    "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 10 } } ],
                    "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/x.jsonl" } } ]
                  }
                }
              }
            }
            """);
        return workspace;
    }
}
