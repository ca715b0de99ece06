using Flow.Execution;
using Flow.Parameters;
using Flow.Redis.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Flow.Redis.Tests.Streams;

/// <summary>
/// The <c>RedisStream</c> source driven directly (no pipeline), against a real redis-server: how its
/// read-ahead treats failed batches and the entries it has read but not yet delivered.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisStreamSourceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly RedisServerFixture _redis;

    public RedisStreamSourceTests(RedisServerFixture redis) => _redis = redis;

    [Fact]
    public async Task FailedBatch_IsDeliveredAgainWithinAFewBatches_EvenWithABacklogToRead()
    {
        // 3,000 entries in batches of 10: a read-ahead that never let retries in would deliver the
        // failed batch again only after the other 299.
        var stream = await FillAsync(3000);
        await using var connections = new RedisStreamConnections();
        await using var source = Source(connections, stream, ("RetryDelay", "10ms"));
        using var abort = new CancellationTokenSource(Bound);
        await using var batches = source.ReadBatchesAsync(10, CancellationToken.None, abort.Token).GetAsyncEnumerator(abort.Token);

        Assert.True(await batches.MoveNextAsync());
        var failed = batches.Current;
        failed.Receipt!.Failed(new InvalidOperationException("the step failed"));
        await Task.Delay(200); // the retry is due now

        var after = 0;
        while (await batches.MoveNextAsync())
        {
            after++;
            var batch = batches.Current;
            if (batch.Id == failed.Id)
            {
                Assert.Equal(failed.Records.Select(r => r["id"]), batch.Records.Select(r => r["id"]));
                break;
            }

            Assert.True(batch.Records.Count <= 10, $"a batch of {batch.Records.Count} records, BatchSize 10");
            batch.Receipt!.Written();
            batch.Receipt.Completed();
            Assert.True(after < 300, "the failed batch never came back");
        }

        Assert.InRange(after, 1, 5);
    }

    [Fact]
    public async Task EntriesReadAhead_AreKeptAlive_WhileThePipelineHoldsTheSourceBack()
    {
        var stream = await FillAsync(2000);
        await using var connections = new RedisStreamConnections();
        await using var source = Source(connections, stream, ("ClaimIdle", "3s"));
        using var abort = new CancellationTokenSource(Bound);
        await using var batches = source.ReadBatchesAsync(100, CancellationToken.None, abort.Token).GetAsyncEnumerator(abort.Token);

        // Two batches taken, then the source is held back (as a full pipeline holds it at its yield)
        // for more than twice ClaimIdle, while another consumer keeps trying to claim entries idle
        // that long: it must get none, delivered or read ahead, from this live consumer.
        Assert.True(await batches.MoveNextAsync());
        Assert.True(await batches.MoveNextAsync());
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var db = connection.GetDatabase();
        var taken = new List<string>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(7);
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(250);
            var claim = await db.StreamAutoClaimIdsOnlyAsync(stream, "g", "other", 3000, "0-0", 1000);
            taken.AddRange(claim.ClaimedIds.Select(id => (string)id!));
        }

        var pending = await db.StreamPendingMessagesAsync(stream, "g", 10_000, "c1");
        Assert.True(pending.Length > 200, $"{pending.Length} entries pending for the source: the read-ahead should have read beyond the two batches taken");
        Assert.True(taken.Count == 0, $"another consumer claimed {taken.Count} entries from the live source, e.g. {string.Join(", ", taken.Take(3))}");
    }

    private RedisStreamSource Source(RedisStreamConnections connections, string stream, params (string Name, string Value)[] more)
    {
        var parameters = new List<KeyValuePair<string, ParamNode>>
        {
            new("Stream", ParamNode.Leaf(stream)),
            new("Group", ParamNode.Leaf("g")),
            new("Consumer", ParamNode.Leaf("c1")),
            new("Redis", ParamNode.Leaf(_redis.Configuration)),
            new("StopWhenDrained", ParamNode.Leaf("true")),
            new("MaxBatchDelay", ParamNode.Leaf("20ms")),
        };
        parameters.AddRange(more.Select(p => new KeyValuePair<string, ParamNode>(p.Name, ParamNode.Leaf(p.Value))));
        var context = new NodeContext("p", "in", new NodeParameters(ParamNode.Section(parameters), "Flow:Pipelines:p:Sources:0:Params", AppContext.BaseDirectory),
            new ServiceCollection().BuildServiceProvider(), NullLoggerFactory.Instance);
        return new RedisStreamSource(context, connections);
    }

    private async Task<string> FillAsync(int count)
    {
        var stream = _redis.NewKeyPrefix() + "in";
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var db = connection.GetDatabase();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => db.StreamAddAsync(stream, "data", $$"""{"id":{{i}}}""")));
        return stream;
    }
}
