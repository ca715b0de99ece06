namespace Flow.Worker.Tests;

/// <summary>What a user reads at the end of a run: one completion line, then an aligned table.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class SummaryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Run_PrintsOneCompletionLine_AndAnAlignedTableWithoutTrailingSpaces_OnStandardError()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);
        await using (var cold = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config))
        {
            Assert.True(cold.ExitCode == 0, cold.StandardError);
        }

        await using var warm = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);

        Assert.True(warm.ExitCode == 0, warm.StandardError);
        Assert.Equal("", warm.StandardOutput);
        var lines = warm.StandardError.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Single(lines, l => l.Contains("completed in", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.EndsWith(' '));
        Assert.Contains(lines, l => l.EndsWith("pipeline p by node: 20 of 20 step batches from the cache, about " + SavedOf(lines) + " ms of compute saved", StringComparison.Ordinal));

        var header = lines.Single(l => l.TrimStart().StartsWith("node ", StringComparison.Ordinal));
        var table = lines.SkipWhile(l => l != header).Take(4).ToList();
        Assert.Equal(["node", "kind", "batches", "hits", "waited", "misses", "records in", "records out", "time ms", "saved ms"],
            header.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // Right-aligned numbers: every row ends where the header ends, and each column's cells end at one place.
        Assert.All(table, row => Assert.Equal(header.Length, row.Length));
        var late = table.Single(r => r.TrimStart().StartsWith("late ", StringComparison.Ordinal));
        Assert.Equal(header.IndexOf("records in", StringComparison.Ordinal) + "records in".Length, late.IndexOf("20,000", StringComparison.Ordinal) + "20,000".Length);
        Assert.Matches(@"^ +late +step +20 +20 +0 +0 +20,000 +4,349 +[\d,]+ +[\d,]+$", late);
    }

    [Fact]
    public async Task LongRun_LogsProgressWithRecordsRateBatchesAndHits()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "100ms" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/all.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--Flow:ProgressInterval=300ms");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        var progress = flow.StandardError.Split('\n').Where(l => l.Contains("Pipeline p: ", StringComparison.Ordinal) && l.Contains("records/s", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, line => Assert.Matches(@"INF\] Pipeline p: [\d,]+ records read \([\d,]+ records/s\), \d+ batches; step batches: 0 hits, \d+ computed$", line.TrimEnd('\r')));
    }

    // The saved total of the first line is the late step's saved cell, the only step.
    private static string SavedOf(List<string> lines)
    {
        var late = lines.Single(l => l.TrimStart().StartsWith("late ", StringComparison.Ordinal));
        return late.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
    }
}
