using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Flow.Execution;

namespace Flow.Core.Tests.Execution;

public sealed class FlowMetricsTests
{
    [Fact]
    public async Task Run_PublishesBatchesAndRecordsPerNode_OnTheFlowMeter()
    {
        var pipeline = "metrics-" + Guid.NewGuid().ToString("N");
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FlowMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            // The meter is process-wide: only this test's pipeline counts.
            var mine = false;
            string? node = null;
            foreach (var tag in tags)
            {
                mine |= tag.Key == "pipeline" && (string?)tag.Value == pipeline;
                node = tag.Key == "node" ? (string?)tag.Value : node;
            }

            if (mine)
            {
                totals.AddOrUpdate($"{instrument.Name}/{node}", value, (_, total) => total + value);
            }
        });
        listener.Start();

        var harness = new PipelineHarness();
        var plan = await harness.PlanAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 1000, "Seed": 5 } } ],
              "Steps": [ { "Name": "half", "Type": "Filter", "Params": { "Where": "id % 2 == 0" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """, name: pipeline);
        var result = await new PipelineRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(10, totals["flow.batches/half"]);
        Assert.Equal(1000, totals["flow.records.in/half"]);
        Assert.Equal(500, totals["flow.records.out/half"]);
        Assert.Equal(10, totals["flow.cache.misses/half"]);
        Assert.Equal(1000, totals["flow.records.out/gen"]);
        Assert.Equal(500, totals["flow.records.in/out"]);
    }
}
