using Flow.Caching;
using Flow.Redis.Caching;
using StackExchange.Redis;

namespace Flow.Redis.Tests.Caching;

/// <summary>The Redis store on a Cluster of three masters, where entries land on different shards.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterCacheStoreTests(RedisClusterFixture cluster)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EntriesOnEveryShard_AreAllCountedReadAndCleared()
    {
        var prefix = cluster.NewKeyPrefix();
        await using var store = await RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions { Configuration = cluster.Configuration, KeyPrefix = prefix }, null, CancellationToken.None).WaitAsync(Bound);
        var keys = Enumerable.Range(0, 60).Select(i => new CacheKey("a" + (i % 3).ToString("x2"), "b" + i.ToString("x4"))).ToList();
        foreach (var key in keys)
        {
            await store.SetAsync(key, new byte[] { 1, 2, 3 }, TimeSpan.FromMinutes(5), default).WaitAsync(Bound);
        }

        using var raw = await ConnectionMultiplexer.ConnectAsync(cluster.Configuration).WaitAsync(Bound);
        var shardsHoldingEntries = 0;
        foreach (var server in raw.GetServers().Where(s => !s.IsReplica))
        {
            var held = 0;
            await foreach (var _ in server.KeysAsync(pattern: prefix + "*"))
            {
                held++;
            }

            shardsHoldingEntries += held > 0 ? 1 : 0;
        }

        Assert.Equal(3, raw.GetServers().Count(s => !s.IsReplica));
        Assert.True(shardsHoldingEntries >= 2, $"60 entries all landed on {shardsHoldingEntries} shard(s): the test does not span the cluster");
        Assert.Equal(60, (await store.GetStatsAsync(default).WaitAsync(Bound)).Entries);
        foreach (var key in keys)
        {
            Assert.Equal(new byte[] { 1, 2, 3 }, await store.GetAsync(key, default).WaitAsync(Bound));
        }

        Assert.Equal(20, await store.ClearAsync(["a01"], default).WaitAsync(Bound));
        Assert.Equal(40, await store.ClearAsync(null, default).WaitAsync(Bound));
        Assert.Equal(0, (await store.GetStatsAsync(default).WaitAsync(Bound)).Entries);
    }
}
