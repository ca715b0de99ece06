using System.Text.Json;
using Flow.Redis.Tests;

namespace Flow.Worker.Tests.Cluster;

/// <summary>
/// <c>flow</c> with its cache on a Redis Cluster of three masters (a fixture of this class): entries
/// land on every shard, a second run replays them all, and the cache commands see them all.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RedisClusterRunTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    private const int Batches = TestData.FlightCount / 1000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task SecondRunOnACluster_ReplaysEveryBatch_AndWritesTheSameBytes()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } },
                { "Name": "hours", "Type": "Compute", "Params": { "Set": { "hours": "round(delay / 60, 2)" } } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);
        string[] redis = ["--Flow:Cache:Store=Redis", "--Flow:Cache:Redis=" + cluster.Configuration, "--Flow:Cache:KeyPrefix=" + cluster.NewKeyPrefix()];

        await using var cold = await RunAsync(workspace, ["run", "--config", config, "--report", "cold.json", .. redis]);
        var coldBytes = await File.ReadAllBytesAsync(workspace.File("out/late.jsonl"));
        await using var warm = await RunAsync(workspace, ["run", "--config", config, "--report", "warm.json", .. redis]);

        foreach (var step in new[] { "late", "hours" })
        {
            Assert.Equal((0, Batches), Counts(workspace, "cold.json", step));
            Assert.Equal((Batches, 0), Counts(workspace, "warm.json", step));
        }

        Assert.Equal(coldBytes, await File.ReadAllBytesAsync(workspace.File("out/late.jsonl")));
        await using var stats = await RunAsync(workspace, ["cache", "stats", "--config", config, .. redis]);
        Assert.Contains($"entries: {2 * Batches}", stats.StandardOutput, StringComparison.Ordinal);
    }

    private static async Task<FlowProcess> RunAsync(FlowWorkspace workspace, string[] args)
    {
        var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        return flow;
    }

    private static (long Hits, long Misses) Counts(FlowWorkspace workspace, string report, string step)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(workspace.File(report)));
        var node = document.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes").GetProperty(step);
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("misses").GetInt64());
    }
}
