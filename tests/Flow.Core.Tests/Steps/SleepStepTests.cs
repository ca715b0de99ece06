using System.Diagnostics;
using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class SleepStepTests
{
    private readonly PipelineHarness _harness = new();

    [Theory]
    [InlineData("PerRecord", "1ms")]
    [InlineData("PerRecord", "00:00:00.001")]
    [InlineData("PerBatch", "1ms")]
    [InlineData("PerBatch", "00:00:00.001")]
    public async Task Process_Duration_WaitsAndPassesRecordsThrough(string parameter, string duration)
    {
        // 20 batches of 5 records: PerRecord 1 ms costs 5 ms a batch (100 ms in all), PerBatch 1 ms costs 20 ms in all.
        var expectedMinimum = parameter == "PerRecord" ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(20);
        var plan = await _harness.PlanAsync($$"""
            {
              "BatchSize": 5,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 100, "Seed": 3 } } ],
              "Steps": [ { "Name": "nap", "Type": "Sleep", "Params": { "{{parameter}}": "{{duration}}" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var clock = Stopwatch.StartNew();
        var result = await PipelineHarness.RunAsync(plan);
        clock.Stop();

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (object?)(long)i), _harness.Collected().Records.Select(r => r["id"]));
        // Timers may fire a little early on a loaded machine: allow 10% slack below the total.
        Assert.True(clock.Elapsed >= expectedMinimum * 0.9, $"took {clock.Elapsed.TotalMilliseconds} ms, expected at least {expectedMinimum.TotalMilliseconds} ms");

        // The node's time is the time its batches spent in the step, not zero.
        var nap = result.Nodes.Single(n => n.Name == "nap");
        Assert.True(nap.Elapsed >= expectedMinimum * 0.9, $"the step's time is {nap.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(nap.Elapsed.Ticks, nap.AverageCompute.Ticks * nap.Misses, tolerance: nap.Elapsed.Ticks / 2.0);
    }

    [Theory]
    [InlineData("PerRecord", "abc")]
    [InlineData("PerBatch", "-1ms")]
    [InlineData("PerBatch", "5 parsecs")]
    public async Task Plan_BadDuration_IsAConfigurationErrorAtTheParameter(string parameter, string duration)
    {
        var errors = await _harness.ConfigurationErrorsAsync(PipelineHarness.OverFlights($$"""
            [ { "Name": "nap", "Type": "Sleep", "Params": { "{{parameter}}": "{{duration}}" } } ]
            """));

        var error = Assert.Single(errors);
        Assert.Equal($"Flow:Pipelines:p:Steps:0:Params:{parameter}", error.Path);
        Assert.Contains(duration, error.Message, StringComparison.Ordinal);
    }
}
