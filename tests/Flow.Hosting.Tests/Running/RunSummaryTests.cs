using System.Diagnostics;
using Flow.Execution;
using Flow.Hosting.Running;

namespace Flow.Hosting.Tests.Running;

public sealed class RunSummaryTests
{
    [Fact]
    public void FormatTable_HitsWithoutAMeasuredComputeTime_ShowSavedAsUnknown_NotZero()
    {
        var source = new NodeStats("p", "in", NodeKind.Source, "Json");
        source.AddBatch(0, 10, 0);
        var measured = Step("measured");
        measured.PreviousAverage = TimeSpan.FromMilliseconds(7);
        var unmeasured = Step("unmeasured");

        var table = RunSummary.FormatTable(new PipelineResult("p", RunStatus.Completed, TimeSpan.FromSeconds(1), [source, measured, unmeasured], null));

        var lines = table.Split(Environment.NewLine);
        Assert.Equal("pipeline p by node: 4 of 4 step batches from the cache, about 14 ms of compute saved (? = hits of a step whose compute time was never measured)", lines[0]);
        Assert.EndsWith("14", lines.Single(l => l.TrimStart().StartsWith("measured ", StringComparison.Ordinal)));
        Assert.EndsWith("?", lines.Single(l => l.TrimStart().StartsWith("unmeasured ", StringComparison.Ordinal)));
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), $"trailing space: '{l}'"));
    }

    private static NodeStats Step(string name)
    {
        var step = new NodeStats("p", name, NodeKind.Step, "Filter");
        for (var i = 0; i < 2; i++)
        {
            step.AddHit();
            step.AddBatch(5, 5, Stopwatch.Frequency / 1000);
        }

        return step;
    }
}
