using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Core.Tests.Execution;

public sealed class PipelineRunFaultTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public PipelineRunFaultTests()
    {
        _harness.Registry.Register(NodeKind.Step, "Throw", c => new ThrowingStep(c.Parameters.GetInt64("At", 0)));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task StepThatThrows_WithParallelismAndFanOut_FailsTheRunNamingPipelineStepBatchAndFirstRecord()
    {
        var path = _temp.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"previous\":1}\n");

        // Ten million records: only the abort can end this run in time.
        var plan = await _harness.PlanAsync($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 10000000, "Seed": 9 } } ],
              "Steps": [
                { "Name": "boom", "Type": "Throw", "Inputs": [ "s" ], "Parallelism": 4, "Params": { "At": 1234 } },
                { "Name": "slow", "Type": "Sleep", "Inputs": [ "s" ], "Parallelism": 2, "Params": { "PerBatch": "5ms" } }
              ],
              "Sinks": [
                { "Name": "file", "Type": "JsonLines", "Inputs": [ "boom" ], "Params": { "Path": {{TestData.Quote(path)}} } },
                { "Name": "out", "Type": "Collect", "Inputs": [ "slow" ] }
              ]
            }
            """, name: "flights");

        var result = await new PipelineRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.True(result.Error is StepFailedException, result.Error?.ToString());
        var error = (StepFailedException)result.Error!;
        Assert.Equal("flights", error.Pipeline);
        Assert.Equal("boom", error.Node);
        Assert.Equal(12, error.BatchId.Index);
        Assert.Equal(1200, error.BatchId.Offset);
        Assert.StartsWith("pipeline 'flights', node 'boom', batch 12 of source 's' (records 1200..1299): boom at id 1234; first record: {\"id\":1200,\"value\":", error.Message, StringComparison.Ordinal);
        Assert.Equal("{\"previous\":1}\n", await File.ReadAllTextAsync(path));
        Assert.False(_harness.Collected().Committed);
        Assert.True(result.Nodes.Single(n => n.Name == "s").RecordsOut < 10_000_000);
    }

    [Fact]
    public async Task StepThatChangesRecordsThenThrows_TheMessageShowsTheFirstRecordAsItCameIn()
    {
        _harness.Registry.Register(NodeKind.Step, "ScribbleThenThrow", _ => new ScribbleThenThrowStep());
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 10, "Seed": 9, "Fields": { "id": "seq", "n": "int" } } } ],
              "Steps": [ { "Name": "scribble", "Type": "ScribbleThenThrow" } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Failed, result.Status);
        var error = Assert.IsType<StepFailedException>(result.Error);
        Assert.Contains("first record: {\"id\":0,\"n\":", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("scribbled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StepCancellationThatIsNotTheRuns_WhileStopping_FailsTheRunInsteadOfDroppingTheBatch()
    {
        // A step's own cancellation (an HttpClient timeout) while the run drains after a stop request:
        // Dataflow drops an item whose delegate ends cancelled, so the batch would vanish silently.
        using var stop = new CancellationTokenSource();
        _harness.Registry.Register(NodeKind.Step, "StopThenTimeOut", _ => new StopThenTimeOutStep(stop, atBatch: 5));
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000, "Seed": 3 } } ],
              "Steps": [ { "Name": "timeout", "Type": "StopThenTimeOut" } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var result = await new PipelineRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(plan, stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, result.Status);
        var error = Assert.IsType<StepFailedException>(result.Error);
        Assert.Equal(5, error.BatchId.Index);
        Assert.False(_harness.Collected().Committed);
    }

    [ReadsBatchPosition]
    private sealed class StopThenTimeOutStep(CancellationTokenSource stop, long atBatch) : IStep
    {
        public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (batch.Id.Index == atBatch)
            {
                stop.Cancel();
                throw new TaskCanceledException("the enrichment call timed out");
            }

            return new ValueTask<IReadOnlyList<Record>>(batch.Records);
        }
    }

    [Fact]
    public async Task StopRequested_MidRun_EndsInterruptedWithWholeBatchesAndNothingCommitted()
    {
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 10000000 } } ],
              "Steps": [ { "Name": "nap", "Type": "Sleep", "Params": { "PerBatch": "2ms" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        using var stop = new CancellationTokenSource();

        var run = PipelineHarness.RunAsync(plan, stop.Token);
        await WaitUntilAsync(() => _harness.Collected().Batches.Count >= 5, TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        var result = await run;

        Assert.Equal(RunStatus.Interrupted, result.Status);
        Assert.False(_harness.Collected().Committed);
        var ids = _harness.Collected().Records.Select(r => (long)r["id"]!).ToList();
        Assert.Equal(0, ids.Count % 100);
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => (long)i), ids);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    /// <summary>Changes every record in place (a field renamed, one added), then throws.</summary>
    private sealed class ScribbleThenThrowStep : IStep
    {
        public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
        {
            foreach (var record in batch.Records)
            {
                record.Rename("n", "scribbled");
                record["more"] = "scribbled";
            }

            throw new InvalidOperationException("after scribbling");
        }
    }
}
