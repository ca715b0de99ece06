namespace Flow.Worker.Tests;

/// <summary>What the real process logs: overrides of the Serilog level work without a Serilog section, and a failed step is one clear line.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class LoggingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_DebugLevelOnTheCommandLineWithoutASerilogSection_StillPrintsTheLogs()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline("""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 100 } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--Serilog:MinimumLevel:Default=Debug");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Contains("INF] Pipeline p started", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains("DBG]", flow.StandardError, StringComparison.Ordinal);
        Assert.Equal(100, FlowWorkspace.LineCount(workspace.File("out/result.jsonl")));
    }

    [Fact]
    public async Task Run_StepThatFails_LogsOneErrorLineNamingPipelineNodeBatchAndFirstRecordWithoutAStackTrace()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "airport", "Type": "Lookup",
                           "Params": { "File": {{TestData.Quote(TestData.AirportsCsv)}}, "Key": "date", "On": "iata", "Required": "Fail" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        var lines = flow.StandardError.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var error = Assert.Single(lines, l => l.Contains(" ERR] ", StringComparison.Ordinal) || l.Contains(" FTL] ", StringComparison.Ordinal));
        Assert.EndsWith(
            "ERR] Pipeline p failed at node airport, batch 0: pipeline 'p', node 'airport', batch 0 of source 'flights' (records 0..99): "
            + "lookup found no row for date = '2001/01/01 00:47'; first record: "
            + """{"date":"2001/01/01 00:47","delay":66,"distance":1750,"origin":"DTW","destination":"LAS"}""",
            error,
            StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StepThatFailsAfterChangingTheFirstRecord_LogsTheFirstRecordAsTheStepReceivedIt()
    {
        using var workspace = new FlowWorkspace();
        workspace.WriteFile("in.jsonl", "{\"code\":\"SFO\"}\n{\"code\":\"NOPE\"}\n");
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 2,
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": "in.jsonl" } } ],
              "Steps": [ { "Name": "lk", "Type": "Lookup",
                           "Params": { "File": {{TestData.Quote(TestData.AirportsCsv)}}, "Key": "code", "On": "iata", "Required": "Fail" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        var error = Assert.Single(flow.StandardError.Split('\n').Select(l => l.TrimEnd('\r')), l => l.Contains(" ERR] ", StringComparison.Ordinal));
        Assert.EndsWith("lookup found no row for code = 'NOPE'; first record: {\"code\":\"SFO\"}", error, StringComparison.Ordinal);
    }
}
