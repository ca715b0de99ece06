using Flow.Batches;
using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Core.Tests.Execution;

public sealed class PipelineRunGraphTests
{
    private const int BatchSize = 10;
    private const int Batches = 60;

    private readonly PipelineHarness _harness = new();

    public PipelineRunGraphTests()
    {
        _harness.Registry.Register(NodeKind.Step, "Jitter", c => new JitterStep(c.NodeName, c.Parameters.GetInt32("Salt", 0)));
    }

    [Fact]
    public async Task FanOutThenFanInAtASink_WithParallelism_MergesOneBatchFromEachBranchInTurn()
    {
        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": {{BatchSize}},
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": {{BatchSize * Batches}} } } ],
              "Steps": [
                { "Name": "a", "Type": "Jitter", "Inputs": [ "s" ], "Parallelism": 4, "Params": { "Salt": 1 } },
                { "Name": "b", "Type": "Jitter", "Inputs": [ "s" ], "Parallelism": 3, "Params": { "Salt": 2 } }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect", "Inputs": [ "a", "b" ] } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        var expected = Enumerable.Range(0, Batches).SelectMany(batch =>
            Ids(batch).Select(id => $"/a {id}").Concat(Ids(batch).Select(id => $"/b {id}")));
        Assert.Equal(expected, _harness.Collected().Records.Select(Describe));
        Assert.True(_harness.Collected().Committed);
    }

    [Fact]
    public async Task FanInAtAStepWithParallelism_KeepsTheMergedOrderAndFanOutGivesEachConsumerItsOwnCopy()
    {
        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": {{BatchSize}},
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": {{BatchSize * Batches}} } } ],
              "Steps": [
                { "Name": "a", "Type": "Jitter", "Inputs": [ "s" ], "Parallelism": 2, "Params": { "Salt": 1 } },
                { "Name": "b", "Type": "Jitter", "Inputs": [ "s" ], "Parallelism": 4, "Params": { "Salt": 2 } },
                { "Name": "m", "Type": "Jitter", "Inputs": [ "a", "b" ], "Parallelism": 4, "Params": { "Salt": 3 } }
              ],
              "Sinks": [
                { "Name": "out", "Type": "Collect" },
                { "Name": "raw", "Type": "Collect", "Inputs": [ "s" ] }
              ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        var expected = Enumerable.Range(0, Batches).SelectMany(batch =>
            Ids(batch).Select(id => $"/a/m {id}").Concat(Ids(batch).Select(id => $"/b/m {id}")));
        Assert.Equal(expected, _harness.Collected("out").Records.Select(Describe));
        // The raw sink got its own copies: what the branches changed is not visible in them.
        Assert.Equal(Enumerable.Range(0, BatchSize * Batches).Select(id => $" {id}"), _harness.Collected("raw").Records.Select(Describe));
    }

    [Fact]
    public async Task DefaultInputs_FirstStepReadsEverySourceAndSinksReadTheLastStep()
    {
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 10,
              "Sources": [
                { "Name": "long", "Type": "Generate", "Params": { "Count": 50 } },
                { "Name": "short", "Type": "Generate", "Params": { "Count": 20 } }
              ],
              "Steps": [
                { "Name": "first", "Type": "Jitter", "Parallelism": 3, "Params": { "Salt": 5 } },
                { "Name": "second", "Type": "Jitter" }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "copy", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(new[] { "long", "short" }, InputsOf(plan, "first"));
        Assert.Equal(new[] { "first" }, InputsOf(plan, "second"));
        Assert.Equal(new[] { "second" }, InputsOf(plan, "out"));
        Assert.Equal(new[] { "second" }, InputsOf(plan, "copy"));

        var result = await PipelineHarness.RunAsync(plan);

        Assert.Equal(RunStatus.Completed, result.Status);
        // Round-robin until the short source ends, then the rest of the long one.
        var expected = new[] { "long#0", "short#0", "long#1", "short#1", "long#2", "long#3", "long#4" };
        Assert.Equal(expected, _harness.Collected("out").Batches.Select(b => $"{b.Id.Source}#{b.Id.Index}"));
        Assert.Equal(expected, _harness.Collected("copy").Batches.Select(b => $"{b.Id.Source}#{b.Id.Index}"));
        Assert.All(_harness.Collected("out").Records, r => Assert.Equal("/first/second", r["path"]));
    }

    private static IEnumerable<long> Ids(int batch) => Enumerable.Range(batch * BatchSize, BatchSize).Select(i => (long)i);

    private static string Describe(Record record) => $"{record["path"]} {record["id"]}";

    private static IEnumerable<string> InputsOf(PipelinePlan plan, string node) =>
        plan.Nodes.Single(n => n.Name == node).Inputs.Select(i => i.Name);
}
