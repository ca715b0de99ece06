namespace Flow.Worker.Tests.Caching;

/// <summary><c>flow cache stats|explain|gc|clear</c> against the File store of a real run.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class CacheCommandTests
{
    [Fact]
    public async Task CacheCommands_AfterARun_ReportExplainBoundAndClearTheStore()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } },
                { "Name": "hours", "Type": "Compute", "Params": { "Set": { "delay_hours": "delay / 60" } } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """, name: "flights");
        await using (var run = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), "run", "--config", config))
        {
            Assert.True(run.ExitCode == 0, run.StandardError);
        }

        var stats = await CacheAsync(workspace, config, "stats");
        Assert.Contains("entries: 40,", stats); // 20 batches x 2 steps
        Assert.Contains("2 step signature(s)", stats);
        Assert.Contains("pipeline flights: last run", stats);

        var explain = await CacheAsync(workspace, config, "explain", "--Flow:Pipelines:flights:Steps:0:Params:Where=delay > 30");
        Assert.Contains("late: signature changed: Params:Where changed from 'delay > 15' to 'delay > 30'", explain);
        Assert.Contains("hours: unchanged, but upstream late changed", explain);

        var gc = await CacheAsync(workspace, config, "gc", "--Flow:Cache:MaxSize=20KB");
        Assert.Matches(@"removed 0 expired and \d+ least recently used entries", gc);
        Assert.DoesNotContain("removed 0 expired and 0 least", gc);

        var cleared = await CacheAsync(workspace, config, "clear", "--pipeline", "flights");
        Assert.Matches(@"cleared \d+ entries of pipeline flights", cleared);
        Assert.Contains("entries: 0,", await CacheAsync(workspace, config, "stats"));
    }

    private static async Task<string> CacheAsync(FlowWorkspace workspace, string config, string command, params string[] more)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), ["cache", command, "--config", config, .. more]);
        Assert.True(flow.ExitCode == 0, $"flow cache {command} exited {flow.ExitCode}: {flow.StandardError}");
        return flow.StandardOutput;
    }
}
