using System.Text.Json;
using Flow.Redis.Tests;
using StackExchange.Redis;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// Single-flight across workers, with real <c>flow</c> processes sharing one store (a real
/// redis-server, or one cache folder): each uncached batch is computed once across the workers and
/// the others wait for its entry; a worker killed while it holds leases holds the others up only
/// until its leases lapse, or not at all on its own machine, where its leases name a process that is
/// gone (the same worker started again takes them over at once); a store that cannot lease makes the
/// workers compute on their own. Every worker's output is the same, byte for byte, as an uncached run's.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class LeaseTests : IClassFixture<RedisClusterFixture>
{
    private const int BatchSize = 1000;
    private const int Batches = TestData.FlightCount / BatchSize;
    private const string Output = "out/late.jsonl";
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);

    private readonly RedisServerFixture _redis;
    private readonly RedisClusterFixture _cluster;

    public LeaseTests(RedisServerFixture redis, RedisClusterFixture cluster) => (_redis, _cluster) = (redis, cluster);

    public enum Store
    {
        File,
        Redis,

        /// <summary>A Redis Cluster of three masters: leases beside their entries, under the entry key's hash tag.</summary>
        RedisCluster,
    }

    [Theory]
    [InlineData(Store.File)]
    [InlineData(Store.Redis)]
    [InlineData(Store.RedisCluster)]
    public async Task ThreeWorkersAtOnce_ComputeEachBatchOnce_AndEachWritesTheUncachedOutput(Store store)
    {
        using var workspace = new FlowWorkspace();
        var config = WritePipeline(workspace, perBatch: "150ms");
        var storeArgs = store == Store.RedisCluster
            ? StoreArgs(store, _cluster.Configuration, _cluster.NewKeyPrefix())
            : StoreArgs(store, _redis.Configuration, _redis.NewKeyPrefix());
        var reference = ReferenceAsync(workspace, config);

        var workers = Enumerable.Range(0, 3).Select(i => FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, i), .. storeArgs])).ToList();
        try
        {
            foreach (var worker in workers)
            {
                Assert.True(await worker.WaitForExitAsync(ProcessTimeout) == 0, worker.StandardError);
            }

            var expected = await reference;
            for (var i = 0; i < workers.Count; i++)
            {
                Assert.Equal(expected, await File.ReadAllBytesAsync(workspace.File(WorkerOutput(i))));
            }

            // Every batch of every step computed by exactly one of the three; the other two waited for it or hit it.
            foreach (var step in new[] { "slow", "late" })
            {
                var counts = Enumerable.Range(0, workers.Count).Select(i => StepCounts(workspace, i, step)).ToList();
                Assert.All(counts, c => Assert.Equal(Batches, c.Hits + c.Waited + c.Misses));
                Assert.Equal(Batches, counts.Sum(c => c.Misses));
                Assert.Equal(2 * Batches, counts.Sum(c => c.Hits + c.Waited));
            }

            // Started together, they met on batches of the slow step: some were waited for, not only hit.
            Assert.True(Enumerable.Range(0, workers.Count).Sum(i => StepCounts(workspace, i, "slow").Waited) > 0,
                string.Join(Environment.NewLine, workers.Select(w => w.StandardOutput)));
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(Store.File)]
    [InlineData(Store.Redis)]
    public async Task WorkerKilledHoldingLeases_TheOthersTakeItsBatchesOverOnceTheyLapse(Store store)
    {
        using var workspace = new FlowWorkspace();
        // 40 batches of 250 ms: ten seconds for the doomed worker alone, time enough for the others to start on a busy machine.
        var config = WritePipeline(workspace, perBatch: "250ms", batchSize: 500);
        var storeArgs = StoreArgs(store, _redis.Configuration, _redis.NewKeyPrefix()).Append("--Flow:Cache:LeaseTime=2s").ToArray();
        var reference = ReferenceAsync(workspace, config);

        await using var doomed = FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, 0), .. storeArgs]);
        var others = new List<FlowProcess>();
        try
        {
            // Once the others wait for a batch the doomed worker holds the lease of, it dies holding it.
            await doomed.WaitUntilAsync(() => Entries(workspace, storeArgs) > 0, ProcessTimeout);
            others.AddRange(Enumerable.Range(1, 2).Select(i => FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, i), .. storeArgs, "--Serilog:MinimumLevel:Default=Debug"])));
            await others[0].WaitUntilAsync(() => others.Any(o => o.StandardError.Contains("holds the lease", StringComparison.Ordinal)), ProcessTimeout);
            doomed.Signal(FlowProcess.SigKill);
            await doomed.WaitForExitAsync(ProcessTimeout);

            var expected = await reference;
            foreach (var (worker, i) in others.Select((o, i) => (o, i + 1)))
            {
                Assert.True(await worker.WaitForExitAsync(ProcessTimeout) == 0, worker.StandardError);
                Assert.Equal(expected, await File.ReadAllBytesAsync(workspace.File(WorkerOutput(i))));
                var slow = StepCounts(workspace, i, "slow");
                Assert.Equal(TestData.FlightCount / 500, slow.Hits + slow.Waited + slow.Misses);
            }

            // The dead worker's batches were computed by the others: after a wait that ended when its
            // lease was found lapsed or its holder gone (logged), or at once when that was so on arrival
            // (silent; which one depends on how far behind the others were, so on the machine's load).
            Assert.True(Enumerable.Range(1, 2).Sum(i => StepCounts(workspace, i, "slow").Misses) > 0, "the others computed nothing after the kill");
            Assert.False(File.Exists(workspace.File(WorkerOutput(0))), "the killed worker must not have published");
        }
        finally
        {
            foreach (var other in others)
            {
                await other.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(Store.File)]
    [InlineData(Store.Redis)]
    public async Task WorkerKilledHoldingLeases_StartedAgain_TakesItsOwnDeadLeasesOverAtOnce(Store store)
    {
        using var workspace = new FlowWorkspace();
        var config = WritePipeline(workspace, perBatch: "250ms", batchSize: 500);

        // Leases that live far longer than the test may take: a worker that waited for them to lapse would time out.
        var storeArgs = StoreArgs(store, _redis.Configuration, _redis.NewKeyPrefix()).Append("--Flow:Cache:LeaseTime=30m").ToArray();
        var reference = ReferenceAsync(workspace, config);
        await using (var doomed = FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, 0), .. storeArgs]))
        {
            await doomed.WaitUntilAsync(() => Entries(workspace, storeArgs) > 0, ProcessTimeout);
            doomed.Signal(FlowProcess.SigKill);
            await doomed.WaitForExitAsync(ProcessTimeout);
        }

        var left = Leases(workspace, storeArgs);
        Assert.True(left > 0, "the killed worker left no lease behind");

        await using var again = FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, 1), .. storeArgs]);
        Assert.True(await again.WaitForExitAsync(ProcessTimeout) == 0, again.StandardError);

        Assert.Equal(await reference, await File.ReadAllBytesAsync(workspace.File(WorkerOutput(1))));
        var slow = StepCounts(workspace, 1, "slow");
        Assert.Equal(TestData.FlightCount / 500, slow.Hits + slow.Misses);
        Assert.True(slow.Hits > 0 && slow.Misses > 0, $"{slow.Hits} hits, {slow.Misses} misses: the killed run's finished batches replay, the rest are computed");
        Assert.True(slow.Waited == 0, $"waited for {slow.Waited} batches");

        // The run gave back every lease it took; one the killed worker held on a batch whose entry it
        // had written (written first, released after) is replayed without its lease, and lapses.
        Assert.InRange(Leases(workspace, storeArgs), 0, left);
    }

    [Fact]
    public async Task RedisStoppedMidRun_LeasesCannotBeTaken_TheWorkersComputeOnTheirOwnAndSucceed()
    {
        using var workspace = new FlowWorkspace();
        var config = WritePipeline(workspace, perBatch: "150ms");
        var reference = ReferenceAsync(workspace, config);
        var workers = new List<FlowProcess>();
        var server = await RedisServerFixture.StartPrivateServerAsync();
        try
        {
            var storeArgs = StoreArgs(Store.Redis, server.Configuration, _redis.NewKeyPrefix()).Append("--Flow:Cache:OperationTimeout=1s").ToArray();
            workers.AddRange(Enumerable.Range(0, 2).Select(i => FlowProcess.Start(workspace.Path, [.. WorkerArgs(config, i), .. storeArgs])));

            // Stopped once the workers share the work (an entry is written): from then on no lease can be taken.
            await workers[0].WaitUntilAsync(() => Entries(workspace, storeArgs) > 0, ProcessTimeout);
            await server.DisposeAsync();

            var expected = await reference;
            for (var i = 0; i < workers.Count; i++)
            {
                Assert.True(await workers[i].WaitForExitAsync(ProcessTimeout) == 0, workers[i].StandardError);
                Assert.Equal(expected, await File.ReadAllBytesAsync(workspace.File(WorkerOutput(i))));
                var slow = StepCounts(workspace, i, "slow");
                Assert.Equal(Batches, slow.Hits + slow.Waited + slow.Misses);
            }

            // The outage was seen (and said), and the batches after it were computed by both, each on its own.
            Assert.All(workers, w => Assert.Contains("without the cache", w.StandardError, StringComparison.Ordinal));
            Assert.True(Enumerable.Range(0, workers.Count).Sum(i => StepCounts(workspace, i, "slow").Misses) > Batches);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            await server.DisposeAsync();
        }
    }

    private static string WritePipeline(FlowWorkspace workspace, string perBatch, int batchSize = BatchSize) => workspace.WritePipeline($$"""
        {
          "BatchSize": {{batchSize}},
          "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
          "Steps": [
            { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "{{perBatch}}" } },
            { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } }
          ],
          "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "{{Output}}" } } ]
        }
        """);

    private static string WorkerOutput(int worker) => $"out/worker{worker}.jsonl";

    private static string[] WorkerArgs(string config, int worker) =>
        ["run", "--config", config, "--report", $"report{worker}.json", $"--Flow:Pipelines:p:Sinks:0:Params:Path={WorkerOutput(worker)}"];

    private static string[] StoreArgs(Store store, string redis, string prefix) => store == Store.File
        ? ["--Flow:Cache:Store=File", "--Flow:Cache:Path=.flow/cache"]
        : ["--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis={redis}", $"--Flow:Cache:KeyPrefix={prefix}"];

    /// <summary>The output of the same pipeline with the cache off (a throw-away Memory store), run alongside the test.</summary>
    private static async Task<byte[]> ReferenceAsync(FlowWorkspace workspace, string config)
    {
        await using var reference = await FlowProcess.RunAsync(workspace.Path, ProcessTimeout,
            "run", "--config", config, "--use-cache=false", "--Flow:Cache:Store=Memory", "--Flow:Pipelines:p:Sinks:0:Params:Path=reference/late.jsonl");
        Assert.True(reference.ExitCode == 0, reference.StandardError);
        return await File.ReadAllBytesAsync(workspace.File("reference/late.jsonl"));
    }

    private static (long Hits, long Waited, long Misses) StepCounts(FlowWorkspace workspace, int worker, string step)
    {
        using var report = JsonDocument.Parse(File.ReadAllBytes(workspace.File($"report{worker}.json")));
        var node = report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes").GetProperty(step);
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("waited").GetInt64(), node.GetProperty("misses").GetInt64());
    }

    /// <summary>Leases held now (lock files, or lease keys), in whichever store the arguments name.</summary>
    private static int Leases(FlowWorkspace workspace, string[] storeArgs) =>
        Count(workspace, storeArgs, ".lock-*", file => !file.EndsWith("~takeover", StringComparison.Ordinal), "l:*");

    /// <summary>Cache entries written so far, in whichever store the arguments name.</summary>
    private static int Entries(FlowWorkspace workspace, string[] storeArgs) =>
        Count(workspace, storeArgs, "*", file => !Path.GetFileName(file).StartsWith('.'), "e:*");

    /// <summary>Files of the File store's entries folder, or keys of the Redis store, that match.</summary>
    private static int Count(FlowWorkspace workspace, string[] storeArgs, string files, Func<string, bool> keep, string keys)
    {
        if (storeArgs.Contains("--Flow:Cache:Store=File"))
        {
            var entries = Path.Combine(workspace.Path, ".flow", "cache", "entries");
            return Directory.Exists(entries) ? Directory.EnumerateFiles(entries, files, SearchOption.AllDirectories).Count(keep) : 0;
        }

        var redis = storeArgs.Single(a => a.StartsWith("--Flow:Cache:Redis=", StringComparison.Ordinal)).Split('=', 2)[1];
        var prefix = storeArgs.Single(a => a.StartsWith("--Flow:Cache:KeyPrefix=", StringComparison.Ordinal)).Split('=', 2)[1];
        using var connection = ConnectionMultiplexer.Connect(redis);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        return server.Keys(pattern: prefix + keys, pageSize: 1000).Count();
    }
}
