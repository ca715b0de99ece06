using System.Text.Json;
using Flow.Redis.Tests;
using StackExchange.Redis;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// The resume guarantee, with the real process: a run killed with SIGKILL half-way and run again
/// with the cache on writes output byte-identical to an uninterrupted cache-off run, replays every
/// batch a step finished before the kill, and computes only the rest.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ResumeTests
{
    private const int SigKill = 9;
    private const int BatchSize = 500;
    private const int Batches = TestData.FlightCount / BatchSize;

    private readonly RedisServerFixture _redis;

    public ResumeTests(RedisServerFixture redis) => _redis = redis;

    [Fact]
    public Task Resume_AfterSigkill_FileStore_OutputIsIdenticalAndFinishedBatchesHit() =>
        ResumeAfterSigkillAsync(redisPrefix: null);

    [Fact]
    public Task Resume_AfterSigkill_RedisStore_OutputIsIdenticalAndFinishedBatchesHit() =>
        ResumeAfterSigkillAsync(redisPrefix: _redis.NewKeyPrefix());

    private async Task ResumeAfterSigkillAsync(string? redisPrefix)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": {{BatchSize}},
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "100ms" } },
                { "Name": "late", "Type": "Filter", "UseCache": true, "Params": { "Where": "delay > 15" } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);
        var store = redisPrefix is null
            ? new[] { "--Flow:Cache:Store=File", "--Flow:Cache:Path=.flow/cache" }
            : new[] { "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis={_redis.Configuration}", $"--Flow:Cache:KeyPrefix={redisPrefix}" };
        var output = workspace.File("out/late.jsonl");

        // The reference: an uninterrupted run with the cache off (a throw-away Memory store, so nothing is warmed).
        await using (var reference = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120),
                         "run", "--config", config, "--use-cache=false", "--Flow:Cache:Store=Memory",
                         "--Flow:Pipelines:p:Sinks:0:Params:Path=reference/late.jsonl"))
        {
            Assert.True(reference.ExitCode == 0, reference.StandardError);
        }

        var expected = await File.ReadAllBytesAsync(workspace.File("reference/late.jsonl"));

        // Run 1: killed once a few batches reached the sink.
        int[] cachedAtKill;
        await using (var first = FlowProcess.Start(workspace.Path, ["run", "--config", config, .. store]))
        {
            await first.WaitUntilAsync(() => FlowWorkspace.LineCount(output + ".partial") > 0 && CachedEntries(workspace, redisPrefix).Sum() >= 8, TimeSpan.FromSeconds(60));
            first.Signal(SigKill);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            cachedAtKill = CachedEntries(workspace, redisPrefix).OrderByDescending(n => n).ToArray();
        }

        Assert.False(File.Exists(output), "the killed run must not have published its output");
        Assert.Equal(2, cachedAtKill.Length);
        Assert.InRange(cachedAtKill[0], 4, Batches - 1); // it really was killed half-way

        // Run 2: resumes.
        await using var second = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120),
            ["run", "--config", config, "--report", "report.json", .. store]);
        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.Equal(expected, await File.ReadAllBytesAsync(output));

        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
        var nodes = report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes");
        var slow = nodes.GetProperty("slow");
        var late = nodes.GetProperty("late");

        // Every batch a step finished before the kill is replayed; only the others are computed:
        // the batches in flight at the kill and those it never reached.
        Assert.Equal(cachedAtKill[0], slow.GetProperty("hits").GetInt64());
        Assert.Equal(Batches - cachedAtKill[0], slow.GetProperty("misses").GetInt64());
        Assert.Equal(cachedAtKill[1], late.GetProperty("hits").GetInt64());
        Assert.Equal(Batches - cachedAtKill[1], late.GetProperty("misses").GetInt64());

        // And a third run computes nothing at all.
        await using var third = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120),
            ["run", "--config", config, "--report", "report3.json", .. store]);
        Assert.True(third.ExitCode == 0, third.StandardError);
        Assert.Equal(expected, await File.ReadAllBytesAsync(output));
        using var report3 = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report3.json")));
        var nodes3 = report3.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes");
        Assert.Equal(Batches, nodes3.GetProperty("slow").GetProperty("hits").GetInt64());
        Assert.Equal(0, nodes3.GetProperty("slow").GetProperty("misses").GetInt64());
        Assert.Equal(0, nodes3.GetProperty("late").GetProperty("misses").GetInt64());
    }

    /// <summary>Entries per step signature in the store, whatever it is.</summary>
    private int[] CachedEntries(FlowWorkspace workspace, string? redisPrefix)
    {
        if (redisPrefix is null)
        {
            var entries = Path.Combine(workspace.Path, ".flow", "cache", "entries");
            return Directory.Exists(entries)
                ? Directory.GetDirectories(entries)
                    .Select(signature => Directory.EnumerateFiles(signature, "*", SearchOption.AllDirectories).Count(f => !Path.GetFileName(f).StartsWith('.'))) // not .tmp-* files, nor .lock-* (leases)
                    .ToArray()
                : Array.Empty<int>();
        }

        using var connection = ConnectionMultiplexer.Connect(_redis.Configuration);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        return server.Keys(pattern: redisPrefix + "e:*", pageSize: 1000)
            .Select(key => ((string)key!)[(redisPrefix.Length + 2)..].Split(':')[0])
            .GroupBy(signature => signature)
            .Select(group => group.Count())
            .ToArray();
    }
}
