using System.Diagnostics;
using System.Text;
using Flow.Caching;
using Flow.Redis.Caching;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Tests.Caching;

[Collection(RedisCollection.Name)]
public sealed partial class RedisCacheStoreTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly RedisServerFixture _redis;

    public RedisCacheStoreTests(RedisServerFixture redis) => _redis = redis;

    [Fact]
    public async Task GetAsync_AfterSetAsync_ReturnsTheSameBytes()
    {
        await using var store = await ConnectAsync();
        var value = RandomBytes(4096);

        await store.SetAsync(new CacheKey("aa01", "bb01"), value, Ttl, default).WaitAsync(Bound);
        var read = await store.GetAsync(new CacheKey("aa01", "bb01"), default).WaitAsync(Bound);

        Assert.Equal(value, read);
    }

    [Fact]
    public async Task SetAsync_WithASlice_StoresOnlyTheSlice()
    {
        await using var store = await ConnectAsync();
        var buffer = Encoding.UTF8.GetBytes("xxhelloyy");

        await store.SetAsync(new CacheKey("aa01", "bb01"), buffer.AsMemory(2, 5), Ttl, default).WaitAsync(Bound);

        Assert.Equal("hello"u8.ToArray(), await store.GetAsync(new CacheKey("aa01", "bb01"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        await using var store = await ConnectAsync();

        var read = await store.GetAsync(new CacheKey("aa01", "bb99"), default).WaitAsync(Bound);

        Assert.Null(read);
    }

    [Fact]
    public async Task SetAsync_WritesEntryKeyWithTimeToLive()
    {
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);

        var before = DateTime.UtcNow;
        await store.SetAsync(new CacheKey("abc", "def"), new byte[] { 1, 2, 3 }, TimeSpan.FromMinutes(10), default).WaitAsync(Bound);
        var ttl = await raw.GetDatabase().KeyTimeToLiveAsync(prefix + "e:abc:def").WaitAsync(Bound);
        var expiresAt = await raw.GetDatabase().KeyExpireTimeAsync(prefix + "e:abc:def").WaitAsync(Bound);

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));

        // Redis keeps the absolute instant, by its own clock (this machine's: the server is local).
        Assert.NotNull(expiresAt);
        Assert.InRange(expiresAt.Value.ToUniversalTime(), before.AddMinutes(10).AddSeconds(-2), DateTime.UtcNow.AddMinutes(10).AddSeconds(2));
    }

    [Fact]
    public async Task SetAsync_InfiniteTimeToLive_WritesNoExpiry_AndDropsTheExpiryOfTheEntryItReplaces()
    {
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);
        var key = new CacheKey("abc", "def");

        await store.SetAsync(key, new byte[] { 1 }, TimeSpan.FromMinutes(10), default).WaitAsync(Bound);
        await store.SetAsync(key, new byte[] { 2 }, Timeout.InfiniteTimeSpan, default).WaitAsync(Bound);

        Assert.Null(await raw.GetDatabase().KeyExpireTimeAsync(prefix + "e:abc:def").WaitAsync(Bound));
        Assert.Equal(new byte[] { 2 }, await store.GetAsync(key, default).WaitAsync(Bound));
    }

    [Fact]
    public async Task SetAsync_TimeToLiveUnderAMillisecond_IsRoundedUpNotRefused()
    {
        await using var store = await ConnectAsync();
        var key = new CacheKey("abc", "def");

        // PX 0 would be an invalid command: the store rounds up to 1 ms, as the other stores do.
        await store.SetAsync(key, new byte[] { 1 }, TimeSpan.FromTicks(1), default).WaitAsync(Bound);

        await WaitUntilAsync(async () => await store.GetAsync(key, default) is null);
    }

    [Fact]
    public async Task SetAsync_LongestTimeToLive_IsStored()
    {
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);

        await store.SetAsync(new CacheKey("abc", "def"), new byte[] { 1 }, TimeSpan.MaxValue, default).WaitAsync(Bound);

        var ttl = await raw.GetDatabase().KeyTimeToLiveAsync(prefix + "e:abc:def").WaitAsync(Bound);
        Assert.NotNull(ttl);
        Assert.True(ttl.Value > TimeSpan.FromDays(365 * 1000), $"time to live {ttl}");
    }

    [Fact]
    public async Task CollectGarbageAsync_AfterRedisExpiredAnEntry_CountsOnlyTheLiveOnes()
    {
        // The contract's CollectGarbageAsync_RemovesExpiredEntriesOnly in Redis time: Redis removes
        // the expired entry itself, so the collection finds nothing expired and counts only the rest.
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa11", "bb01"), new byte[10], TimeSpan.FromSeconds(1), default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa11", "bb02"), new byte[20], TimeSpan.FromDays(1), default).WaitAsync(Bound);
        await WaitUntilGoneAsync(raw, prefix + "e:aa11:bb01");

        var result = await store.CollectGarbageAsync(null, default).WaitAsync(Bound);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 0, RemainingEntries: 1, RemainingBytes: 20), result);
        Assert.Equal(new CacheStoreStats(1, 20, 1), await store.GetStatsAsync(default).WaitAsync(Bound));
        Assert.NotNull(await store.GetAsync(new CacheKey("aa11", "bb02"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task CollectGarbageAsync_ExpiredAndOverBound_EvictsNothingRedisExpiredAlready()
    {
        // The contract's CollectGarbageAsync_ExpiredAndOverBound_RemovesExpiredBeforeEvicting in
        // Redis time: an expired entry does not count toward the bound, so nothing live is evicted.
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa11", "a001"), new byte[100], TimeSpan.FromDays(1), default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa11", "b002"), new byte[100], TimeSpan.FromSeconds(1), default).WaitAsync(Bound);
        await WaitUntilGoneAsync(raw, prefix + "e:aa11:b002");

        var result = await store.CollectGarbageAsync(100, default).WaitAsync(Bound);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 0, RemainingEntries: 1, RemainingBytes: 100), result);
        Assert.NotNull(await store.GetAsync(new CacheKey("aa11", "a001"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetAsync_AfterTimeToLive_ReturnsNull()
    {
        await using var store = await ConnectAsync();
        var key = new CacheKey("aa01", "bb02");

        // Timed from before the SET: Redis cannot expire the key earlier than a second after that,
        // however slow this machine is; timing from a later point would make the bound flaky.
        var deadline = Stopwatch.StartNew();
        await store.SetAsync(key, new byte[] { 42 }, TimeSpan.FromSeconds(1), default).WaitAsync(Bound);
        var first = await store.GetAsync(key, default).WaitAsync(Bound);

        // On a loaded machine the first read may come after the second is over: then it may miss.
        Assert.True(first is not null || deadline.Elapsed >= TimeSpan.FromSeconds(0.95), "the entry was gone before its time to live");

        byte[]? read;
        do
        {
            await Task.Delay(100);
            read = await store.GetAsync(key, default).WaitAsync(Bound);
        }
        while (read is not null && deadline.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Null(read);
        Assert.True(deadline.Elapsed >= TimeSpan.FromSeconds(0.95), $"expired after {deadline.Elapsed}");
    }

    [Fact]
    public async Task GetMetadataAsync_AfterSetMetadataAsync_ReturnsTheBytesAndNeverExpires()
    {
        var prefix = _redis.NewKeyPrefix();
        await using var store = await ConnectAsync(prefix);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);
        var document = Encoding.UTF8.GetBytes("{\"steps\":[\"a\",\"b\"]}");

        await store.SetMetadataAsync("pipeline:flights", document, default).WaitAsync(Bound);
        var read = await store.GetMetadataAsync("pipeline:flights", default).WaitAsync(Bound);
        var ttl = await raw.GetDatabase().KeyTimeToLiveAsync(prefix + "m:pipeline:flights").WaitAsync(Bound);
        var exists = await raw.GetDatabase().KeyExistsAsync(prefix + "m:pipeline:flights").WaitAsync(Bound);

        Assert.Equal(document, read);
        Assert.True(exists);
        Assert.Null(ttl);
        Assert.Null(await store.GetMetadataAsync("pipeline:other", default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetStatsAsync_CountsEntriesBytesAndSignatures()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa0a", "01"), new byte[10], Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0a", "02"), new byte[20], Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0b", "01"), new byte[30], Ttl, default).WaitAsync(Bound);
        await store.SetMetadataAsync("meta", new byte[1000], default).WaitAsync(Bound);

        var stats = await store.GetStatsAsync(default).WaitAsync(Bound);

        Assert.Equal(new CacheStoreStats(Entries: 3, Bytes: 60, Signatures: 2), stats);
    }

    [Fact]
    public async Task GetStatsAsync_ManyEntries_CountsAcrossScanPages()
    {
        await using var store = await ConnectAsync();
        var writes = Enumerable.Range(0, 2500)
            .Select(i => store.SetAsync(new CacheKey("a" + (i % 7), i.ToString("D5")), new byte[3], Ttl, default));
        await Task.WhenAll(writes).WaitAsync(Bound);

        var stats = await store.GetStatsAsync(default).WaitAsync(Bound);

        Assert.Equal(new CacheStoreStats(2500, 7500, 7), stats);
    }

    [Fact]
    public async Task ClearAsync_WithSignatures_DeletesOnlyThoseSignatures()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa0a", "01"), new byte[] { 1 }, Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0a", "02"), new byte[] { 2 }, Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0ab", "01"), new byte[] { 3 }, Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0b", "01"), new byte[] { 4 }, Ttl, default).WaitAsync(Bound);
        await store.SetMetadataAsync("meta", new byte[] { 5 }, default).WaitAsync(Bound);

        var deleted = await store.ClearAsync(new[] { "aa0a" }, default).WaitAsync(Bound);

        Assert.Equal(2, deleted);
        Assert.Null(await store.GetAsync(new CacheKey("aa0a", "01"), default).WaitAsync(Bound));
        Assert.Null(await store.GetAsync(new CacheKey("aa0a", "02"), default).WaitAsync(Bound));
        Assert.Equal(new byte[] { 3 }, await store.GetAsync(new CacheKey("aa0ab", "01"), default).WaitAsync(Bound));
        Assert.Equal(new byte[] { 4 }, await store.GetAsync(new CacheKey("aa0b", "01"), default).WaitAsync(Bound));
        Assert.Equal(new byte[] { 5 }, await store.GetMetadataAsync("meta", default).WaitAsync(Bound));
    }

    [Fact]
    public async Task ClearAsync_Null_DeletesEveryEntryAndMetadataUnderThePrefixOnly()
    {
        await using var store = await ConnectAsync();
        await using var neighbour = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa0a", "01"), new byte[] { 1 }, Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0b", "01"), new byte[] { 2 }, Ttl, default).WaitAsync(Bound);
        await store.SetMetadataAsync("meta", new byte[] { 3 }, default).WaitAsync(Bound);
        await neighbour.SetAsync(new CacheKey("aa0a", "01"), new byte[] { 9 }, Ttl, default).WaitAsync(Bound);

        var deleted = await store.ClearAsync(null, default).WaitAsync(Bound);

        Assert.Equal(2, deleted);
        Assert.Equal(new CacheStoreStats(0, 0, 0), await store.GetStatsAsync(default).WaitAsync(Bound));
        Assert.Null(await store.GetMetadataAsync("meta", default).WaitAsync(Bound));
        Assert.Equal(new byte[] { 9 }, await neighbour.GetAsync(new CacheKey("aa0a", "01"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task CollectGarbageAsync_WithoutBound_RemovesNothingAndReportsWhatRemains()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa0a", "01"), new byte[10], Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa0a", "02"), new byte[15], Ttl, default).WaitAsync(Bound);

        var result = await store.CollectGarbageAsync(null, default).WaitAsync(Bound);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 0, RemainingEntries: 2, RemainingBytes: 25), result);
    }

    [Fact]
    public async Task CollectGarbageAsync_OverBound_EvictsTheLeastRecentlyUsedEntries()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa00", "0d01"), new byte[100], Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa00", "0d02"), new byte[100], Ttl, default).WaitAsync(Bound);
        await store.SetAsync(new CacheKey("aa00", "0e5e"), new byte[100], Ttl, default).WaitAsync(Bound);
        // OBJECT IDLETIME counts whole seconds: let the entries age, then use one of them.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.NotNull(await store.GetAsync(new CacheKey("aa00", "0e5e"), default).WaitAsync(Bound));

        var result = await store.CollectGarbageAsync(maxBytes: 150, default).WaitAsync(Bound);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 2, RemainingEntries: 1, RemainingBytes: 100), result);
        Assert.NotNull(await store.GetAsync(new CacheKey("aa00", "0e5e"), default).WaitAsync(Bound));
        Assert.Null(await store.GetAsync(new CacheKey("aa00", "0d01"), default).WaitAsync(Bound));
        Assert.Null(await store.GetAsync(new CacheKey("aa00", "0d02"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetAsync_WhenRedisIsDown_ThrowsPromptly()
    {
        var closedPort = RedisServerFixture.FreeLoopbackPort();
        var logger = new ListLogger();
        var stopwatch = Stopwatch.StartNew();
        await using var store = await RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions
            {
                Configuration = $"127.0.0.1:{closedPort},password=s3cret-pass",
                KeyPrefix = _redis.NewKeyPrefix(),
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                OperationTimeout = TimeSpan.FromSeconds(1),
            },
            logger,
            default).WaitAsync(Bound);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(new CacheKey("aa00", "bb00"), default)).WaitAsync(Bound);
        stopwatch.Stop();

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.Unreachable, failure.Failure);
        Assert.StartsWith($"cache store Redis 127.0.0.1:{closedPort} cannot be reached: ", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("; is redis-server running?", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        Assert.Contains($"127.0.0.1:{closedPort}", store.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", store.Description, StringComparison.Ordinal);
        Assert.Contains(logger.Lines, line => line.Contains($"127.0.0.1:{closedPort}", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, line => line.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_AfterRedisComesBack_ServesAgain()
    {
        var server = await RedisServerFixture.StartPrivateServerAsync().WaitAsync(Bound);
        var port = server.Port;
        await using var store = await RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions
            {
                Configuration = server.Configuration,
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                OperationTimeout = TimeSpan.FromSeconds(1),
            },
            null,
            default).WaitAsync(Bound);
        var key = new CacheKey("aa00", "bb00");
        try
        {
            await store.SetAsync(key, new byte[] { 1 }, Ttl, default).WaitAsync(Bound);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }

        var down = await Xunit.Record.ExceptionAsync(() => store.GetAsync(key, default)).WaitAsync(Bound);
        Assert.NotNull(down);

        server = await RedisServerFixture.StartPrivateServerAsync(port).WaitAsync(Bound);
        try
        {
            // The restarted server is empty (no persistence): a write then a read proves the store is back.
            var deadline = Stopwatch.StartNew();
            byte[]? read = null;
            while (read is null && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    await store.SetAsync(key, new byte[] { 2 }, Ttl, default).WaitAsync(Bound);
                    read = await store.GetAsync(key, default).WaitAsync(Bound);
                }
                catch (CacheStoreException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.Equal(new byte[] { 2 }, read);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task ConnectAsync_WithoutConfiguration_ThrowsArgumentException()
    {
        var error = await Xunit.Record.ExceptionAsync(
            () => RedisCacheStoreFactory.ConnectAsync(new RedisCacheStoreOptions(), null, default)).WaitAsync(Bound);

        Assert.IsType<ArgumentException>(error);
    }

    // EXISTS does not touch the key (no effect on OBJECT IDLETIME); Redis deletes an expired key
    // when it is looked up, or within its active expiry cycle.
    private static Task WaitUntilGoneAsync(ConnectionMultiplexer raw, string key) =>
        WaitUntilAsync(async () => !await raw.GetDatabase().KeyExistsAsync(key));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition().WaitAsync(Bound))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the condition did not hold within 10 s");
            await Task.Delay(50);
        }
    }

    private Task<ICacheStore> ConnectAsync(string? prefix = null) =>
        RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions { Configuration = _redis.Configuration, KeyPrefix = prefix ?? _redis.NewKeyPrefix() },
            null,
            default).WaitAsync(Bound);

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    internal sealed class ListLogger : ILogger
    {
        private readonly List<string> _lines = new();

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return _lines.ToArray();
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception) + (exception is null ? "" : " " + exception));
            }
        }
    }
}
