using System.Text.Json;
using Flow.Redis.Tests;
using Flow.Worker.Tests.Streams;

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
            Assert.Equal((0, Batches), workspace.ReportedCounts("cold.json", "p", step));
            Assert.Equal((Batches, 0), workspace.ReportedCounts("warm.json", "p", step));
        }

        Assert.Equal(coldBytes, await File.ReadAllBytesAsync(workspace.File("out/late.jsonl")));
        await using var stats = await RunAsync(workspace, ["cache", "stats", "--config", config, .. redis]);
        Assert.Contains($"entries: {2 * Batches}", stats.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoWorkersOnACluster_StreamToStream_EveryEntryOnce_AndAReplayAddsNothing()
    {
        const int count = 5_000;
        await using var kit = await StreamKit.ConnectAsync(cluster.Configuration, cluster.NewKeyPrefix());
        await kit.FillAsync(0, count);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 250, StreamKit.Double + ", " + StreamKit.Pace("20ms"));

        await using (var one = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1")))
        await using (var two = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w2")))
        {
            Assert.True(await one.WaitForExitAsync(Timeout) == 0, one.StandardError + one.StandardOutput);
            Assert.True(await two.WaitForExitAsync(Timeout) == 0, two.StandardError + two.StandardOutput);
        }

        await kit.AssertEachOnceAsync(Enumerable.Range(0, count).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());
        var computed = StreamKit.Node(workspace, "w1", "double").GetProperty("misses").GetInt64() + StreamKit.Node(workspace, "w2", "double").GetProperty("misses").GetInt64();
        Assert.Equal(count / 250, computed);

        // The same entries read again by a new group form the same batches: every step replays from the
        // cluster's cache, and the sink's markers (beside the stream, under its hash tag) add nothing.
        await using (var again = FlowProcess.Start(workspace.Path, [.. StreamKit.Run(config, "w3"), "--Flow:Pipelines:p:Sources:0:Params:Group=g2"]))
        {
            Assert.True(await again.WaitForExitAsync(Timeout) == 0, again.StandardError + again.StandardOutput);
        }

        await kit.AssertEachOnceAsync(Enumerable.Range(0, count).Select(i => (long)i));
        Assert.Equal(count / 250, StreamKit.Node(workspace, "w3", "double").GetProperty("hits").GetInt64());
    }

    private static async Task<FlowProcess> RunAsync(FlowWorkspace workspace, string[] args)
    {
        var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        return flow;
    }
}
