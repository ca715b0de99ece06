using System.Diagnostics;
using System.Text;

namespace Flow.Worker.Tests;

/// <summary>
/// A run always ends in bounded time: a failed run does not wait for a source blocked on a pipe,
/// validation never opens a pipe, and a second stop signal ends the drain at once.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class LivenessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Default Flow:AbortGrace is 5 s; a run that abandons its source ends well within this.</summary>
    private static readonly TimeSpan AbortBound = TimeSpan.FromSeconds(20);

    private static string FifoLookupPipeline(int batchSize) => $$"""
        {
          "BatchSize": {{batchSize}},
          "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": "in.jsonl" } } ],
          "Steps": [ { "Name": "lk", "Type": "Lookup",
                       "Params": { "File": {{TestData.Quote(TestData.AirportsCsv)}}, "Key": "code", "On": "iata", "Required": "Fail" } } ],
          "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
        }
        """;

    [Fact]
    public async Task Run_FailingLineFromAFifoWhoseWriterStaysOpen_ExitsOneAbandoningTheSource()
    {
        using var workspace = new FlowWorkspace();
        var fifo = workspace.MakeFifo("in.jsonl");
        var config = workspace.WritePipeline(FifoLookupPipeline(batchSize: 1));
        await using var writer = new FifoWriter(fifo);

        await using var flow = FlowProcess.Start(workspace.Path, "run", "--config", config);
        await writer.WriteAsync("{\"code\":\"NOPE\"}\n"u8.ToArray());
        var exitCode = await flow.WaitForExitAsync(AbortBound);

        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.Contains("lookup found no row for code = 'NOPE'", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains("Pipeline p: source 's' did not stop within 5000 ms of the abort", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FailingBatchWhileTheSourceBlocksOnAFifoWhoseWriterStaysOpen_ExitsOneAbandoningTheSource()
    {
        using var workspace = new FlowWorkspace();
        var fifo = workspace.MakeFifo("in.jsonl");
        // 4,368 known airports then one unknown code: exactly 65,536 bytes, so the reader's buffer is
        // full and every line is parsed while the writer keeps the pipe open; then the source waits on
        // the pipe for more. 4,369 = 257 x 17, so the unknown code ends the last full batch.
        var lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"code\":\"SFO\"}\n", 4368)) + "{\"code\":\"NOPE\"}\n");
        Assert.Equal(65536, lines.Length);
        var config = workspace.WritePipeline(FifoLookupPipeline(batchSize: 17));
        await using var writer = new FifoWriter(fifo);

        var clock = Stopwatch.StartNew();
        await using var flow = FlowProcess.Start(workspace.Path, "run", "--config", config);
        await writer.WriteAsync(lines);
        var exitCode = await flow.WaitForExitAsync(AbortBound);

        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, AbortBound);
        Assert.Contains("node 'lk', batch 256 of source 's' (records 4352..4368): lookup found no row for code = 'NOPE'", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains("Pipeline p: source 's' did not stop within 5000 ms of the abort", flow.StandardError, StringComparison.Ordinal);
        Assert.True(writer.IsOpen, "the writer kept the pipe open all along");
        Assert.False(File.Exists(workspace.File("out/result.jsonl")), "a failed run publishes nothing");
    }

    [Fact]
    public async Task Validate_SourceIsAFifoWithNoWriter_ExitsZeroWithoutOpeningIt()
    {
        using var workspace = new FlowWorkspace();
        workspace.MakeFifo("in.jsonl");
        var config = workspace.WritePipeline(FifoLookupPipeline(batchSize: 10));

        // Opening a FIFO with no writer blocks: a validation that opened it would not exit in time.
        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(15), "validate", "--config", config);

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Contains("configuration is valid (p: 3 nodes)", flow.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SourceIsAFifoWithAWaitingWriter_LeavesEveryLineToTheRun()
    {
        using var workspace = new FlowWorkspace();
        var fifo = workspace.MakeFifo("in.jsonl");
        var config = workspace.WritePipeline("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": "in.jsonl" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);
        var lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"id\":{i},\"name\":\"n{i}\"}}\n")));
        await using var writer = new FifoWriter(fifo);

        await using (var validate = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(15), "validate", "--config", config))
        {
            Assert.True(validate.ExitCode == 0, validate.StandardError);
        }

        Assert.False(writer.IsOpen, "validate opened the pipe");

        await using var run = FlowProcess.Start(workspace.Path, "run", "--config", config);
        await writer.WriteAsync(lines);
        await writer.CloseAsync();
        var exitCode = await run.WaitForExitAsync(Timeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:{Environment.NewLine}{run.StandardError}");
        Assert.Equal(lines, await File.ReadAllBytesAsync(workspace.File("out/result.jsonl")));
    }

    [Theory]
    [InlineData(FlowProcess.SigTerm, 143)]
    [InlineData(FlowProcess.SigInt, 130)]
    public async Task Run_SecondStopSignalDuringALongDrain_ExitsAtOnceWithoutPublishing(int signal, int expectedExitCode)
    {
        using var workspace = new FlowWorkspace();
        // Durations in the TimeSpan form, which every version of Flow reads, so only the signals differ.
        var config = workspace.WriteConfig("""
            {
              "Flow": {
                "DrainTimeout": "00:00:30",
                "Pipelines": {
                  "p": {
                    "BatchSize": 10,
                    "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 1000 } } ],
                    "Steps": [ { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "00:00:02" } } ],
                    "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
                  }
                }
              }
            }
            """);
        var output = workspace.File("out/result.jsonl");

        await using var flow = FlowProcess.Start(workspace.Path, "run", "--config", config);
        await flow.WaitUntilAsync(() => flow.StandardError.Contains("Pipeline p started", StringComparison.Ordinal), Timeout);
        // Not a wait for a condition but time for the source to fill the graph: signalled right at the
        // start, one batch is in flight; after 2.5 s, several are, and the drain the first signal
        // starts takes 2 s for each of them: far longer than 3 s.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        flow.Signal(signal);
        await flow.WaitUntilAsync(() => flow.StandardError.Contains("stop requested", StringComparison.Ordinal), Timeout);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(flow.HasExited, "the drain should still be under way");
        flow.Signal(signal);
        var clock = Stopwatch.StartNew();
        var exitCode = await flow.WaitForExitAsync(Timeout);
        var elapsed = clock.Elapsed;

        Assert.True(exitCode == expectedExitCode, $"exit code {exitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"exited {elapsed} after the second signal");
        Assert.Contains($"Second stop signal: exiting at once with {expectedExitCode}", flow.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(output), "an interrupted run must not publish its output");
        Assert.All(Directory.Exists(workspace.File("out")) ? Directory.GetFiles(workspace.File("out")) : [], file => Assert.Equal(output + ".partial", file));
    }
}
