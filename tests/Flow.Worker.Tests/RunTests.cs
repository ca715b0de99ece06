using System.Text;
using System.Text.Json;

namespace Flow.Worker.Tests;

[Collection(EndToEndCollection.Name)]
public sealed class RunTests
{
    [Fact]
    public async Task Run_CompletedPipeline_ExitsZeroAndWritesExactlyTheExpectedRecords()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 500,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120), "run", "--config", config, "--report", "report.json");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        var expected = TestData.FlightLines(f => f.GetProperty("delay").GetInt64() > 15);
        Assert.Equal(Encoding.UTF8.GetBytes(string.Concat(expected.Select(l => l + "\n"))), await File.ReadAllBytesAsync(workspace.File("out/late.jsonl")));
        Assert.False(File.Exists(workspace.File("out/late.jsonl.partial")));

        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
        var pipeline = report.RootElement.GetProperty("pipelines").GetProperty("p");
        Assert.Equal("completed", pipeline.GetProperty("status").GetString());
        Assert.Equal(TestData.FlightCount, pipeline.GetProperty("nodes").GetProperty("late").GetProperty("recordsIn").GetInt64());
        Assert.Equal(expected.Count, pipeline.GetProperty("nodes").GetProperty("late").GetProperty("recordsOut").GetInt64());
        Assert.Equal(40, pipeline.GetProperty("nodes").GetProperty("late").GetProperty("misses").GetInt64());
    }

    [Fact]
    public async Task Run_SigtermMidRun_Exits143LeavingWholeBatchesInThePartialFileOnly()
    {
        const int batchSize = 100;
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": {{batchSize}},
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "50ms" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/flights.jsonl" } } ]
            }
            """);
        var output = workspace.File("out/flights.jsonl");
        var partial = output + ".partial";

        await using var flow = FlowProcess.Start(workspace.Path, "run", "--config", config);
        // 200 batches at 50 ms: about ten seconds of work. Wait until some of it reached the file.
        await flow.WaitUntilAsync(() => FlowWorkspace.LineCount(partial) > 0, TimeSpan.FromSeconds(60));
        flow.Signal(FlowProcess.SigTerm);
        var exitCode = await flow.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 143, $"exit code {exitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.False(File.Exists(output), "an interrupted run must not publish its output");
        var lines = await File.ReadAllLinesAsync(partial);
        Assert.InRange(lines.Length, batchSize, TestData.FlightCount - batchSize);
        Assert.Equal(0, lines.Length % batchSize);
        // Whole records, in source order, none lost or repeated.
        Assert.Equal(TestData.FlightLines().Take(lines.Length), lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [Fact]
    public async Task Run_TenMillionGeneratedRecords_PeakWorkingSetStaysUnder300MB()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline("""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 10000000, "Seed": 1 } } ],
              "Steps": [ { "Name": "some", "Type": "Filter", "Params": { "Where": "value > 990" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/some.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(240), "run", "--config", config, "--report", "report.json");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
        var nodes = report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes");
        Assert.Equal(10_000_000, nodes.GetProperty("gen").GetProperty("recordsOut").GetInt64());
        var kept = nodes.GetProperty("some").GetProperty("recordsOut").GetInt64();
        Assert.InRange(kept, 90_000, 110_000);
        Assert.Equal(kept, FlowWorkspace.LineCount(workspace.File("out/some.jsonl")));
        var peak = report.RootElement.GetProperty("process").GetProperty("peakWorkingSetBytes").GetInt64();
        Assert.InRange(peak, 1, 300L * 1024 * 1024);
    }

    [Fact]
    public async Task Run_StepThatThrows_ExitsOneNamingPipelineStepBatchAndFirstRecord_AndKeepsThePreviousOutput()
    {
        using var workspace = new FlowWorkspace();
        // Lookup with Required: Fail on a key no airport has: the first batch fails. Parallelism and a
        // fan-out to two sinks make sure a fault elsewhere in a wider graph still ends the run.
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 500,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "slow", "Type": "Sleep", "Parallelism": 2, "Params": { "PerBatch": "1ms" } },
                { "Name": "airport", "Type": "Lookup", "Parallelism": 2,
                  "Params": { "File": {{TestData.Quote(TestData.AirportsCsv)}}, "Key": "date", "On": "iata", "Required": "Fail" } }
              ],
              "Sinks": [
                { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/flights.jsonl" } },
                { "Name": "copy", "Type": "Csv", "Inputs": [ "slow" ], "Params": { "Path": "out/copy.csv" } }
              ]
            }
            """);
        Directory.CreateDirectory(workspace.File("out"));
        await File.WriteAllTextAsync(workspace.File("out/flights.jsonl"), "previous output\n");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), "run", "--config", config);

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        // Parallelism 2: batches 0 and 1 fail side by side, and the first to fail is the one reported.
        Assert.Matches(@"pipeline 'p', node 'airport', batch [01] of source 'flights' \(records \d+\.\.\d+\): lookup found no row for date = '2001/01/0[13] \d\d:\d\d'; first record: \{""date"":""2001/01/0[13] ", flow.StandardError);
        Assert.Equal("previous output\n", await File.ReadAllTextAsync(workspace.File("out/flights.jsonl")));
        Assert.False(File.Exists(workspace.File("out/copy.csv")), "a failed run must not publish any sink's output");
    }
}
