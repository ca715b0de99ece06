using Flow.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests.Execution;

/// <summary>What <c>/readyz</c> and the status page read: the runs going on, their live counters, their end.</summary>
public sealed class LiveRunsTests
{
    private const string SlowPipeline = """
        {
          "BatchSize": 100,
          "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 1000, "Seed": 5 } } ],
          "Steps": [ { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "100ms" } } ],
          "Sinks": [ { "Name": "out", "Type": "Collect" } ]
        }
        """;

    [Fact]
    public async Task Runner_ReportsARunReadyWhileItGoesOn_WithLiveCounts_AndNotReadyOnceItEnded()
    {
        var live = new LiveRuns();
        Assert.False(live.IsReady); // nothing runs yet
        var plan = await new PipelineHarness().PlanAsync(SlowPipeline);

        var running = new PipelineRunner(NullLogger.Instance, live: live).RunAsync(plan, CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(live.IsReady && live.Runs.Single().Nodes.Single(n => n.Name == "slow").Batches > 0) && !running.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.False(running.IsCompleted, "the run ended before it was seen ready with a batch done");
        Assert.True(live.IsReady);
        var seen = Assert.Single(live.Runs);
        Assert.Null(seen.Status);
        Assert.Equal(["gen", "slow", "out"], seen.Nodes.Select(n => n.Name));

        var result = await running.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.False(live.IsReady);
        Assert.Equal(RunStatus.Completed, seen.Status);
        Assert.Equal(result.Nodes.Select(n => n.RecordsOut), seen.Nodes.Select(n => n.RecordsOut)); // the same counters, not a copy
        Assert.Equal(0, seen.Nodes.Single(n => n.Name == "slow").InFlight);
    }

    [Fact]
    public async Task IsReady_WaitsForEveryExpectedRun_AndIsFalseWhileARunsRequiredStoreIsUnavailable()
    {
        var live = new LiveRuns();
        var plan = await new PipelineHarness().PlanAsync(SlowPipeline);
        var unavailable = false;
        live.Expect(2);
        var run = live.Started(plan, plan.Nodes.Select(n => new NodeStats(plan.Name, n.Name, n.Kind, n.Definition.Type)).ToList(), () => unavailable);

        Assert.False(live.IsReady); // one of the two expected runs has not started
        live.Expect(1);
        Assert.True(live.IsReady);
        unavailable = true;
        Assert.False(live.IsReady);
        unavailable = false;
        Assert.True(live.IsReady);
        run.Ended(RunStatus.Completed);
        Assert.False(live.IsReady);
    }
}
