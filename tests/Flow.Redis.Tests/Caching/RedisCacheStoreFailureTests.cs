using System.Diagnostics;
using Flow.Caching;
using Flow.Redis.Caching;
using StackExchange.Redis;
using Xunit.Abstractions;
using ListLogger = Flow.Redis.Tests.Caching.RedisCacheStoreTests.ListLogger;

namespace Flow.Redis.Tests.Caching;

/// <summary>
/// The Redis store fails soft and says exactly what is wrong: foreign keys under its prefix are
/// skipped (never deleted, never a crash), a key of the wrong type is an unusable entry, and an
/// unreachable server or a refused password is a <see cref="CacheStoreException"/> that names the
/// endpoint and never the password.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCacheStoreFailureTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly RedisServerFixture _redis;
    private readonly string _prefix;
    private readonly ListLogger _logger = new();
    private readonly ITestOutputHelper _output;
    private ConnectionMultiplexer? _raw;

    public RedisCacheStoreFailureTests(RedisServerFixture redis, ITestOutputHelper output)
    {
        _redis = redis;
        _output = output;
        _prefix = redis.NewKeyPrefix();
    }

    private IDatabase Raw => _raw!.GetDatabase();

    public async Task InitializeAsync() =>
        _raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Bound);

    public async Task DisposeAsync()
    {
        if (_raw is not null)
        {
            await foreach (var key in _raw.GetServer(_redis.Host, _redis.Port).KeysAsync(pattern: _prefix + "*", pageSize: 1000))
            {
                await Raw.KeyDeleteAsync(key).WaitAsync(Bound);
            }

            await _raw.CloseAsync().WaitAsync(Bound);
            _raw.Dispose();
        }
    }

    [Fact]
    public async Task GetStatsAsync_HashAndStreamUnderThePrefix_AreSkippedCountedOnceAndKept()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[10], Ttl, default).WaitAsync(Bound);
        await AddForeignKeysAsync();

        var stats = await store.GetStatsAsync(default).WaitAsync(Bound);

        Assert.Equal(new CacheStoreStats(Entries: 1, Bytes: 10, Signatures: 1), stats);
        Assert.Single(_logger.Lines, line => line.Contains($"skipped 2 keys under {_prefix} that are not cache entries", StringComparison.Ordinal));
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:xyz").WaitAsync(Bound));
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:abc:def").WaitAsync(Bound));
    }

    [Fact]
    public async Task CollectGarbageAsync_ZeroBound_EvictsTheEntries_NeverTheForeignKeys()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[10], Ttl, default).WaitAsync(Bound);
        await AddForeignKeysAsync();

        var result = await store.CollectGarbageAsync(maxBytes: 0, default).WaitAsync(Bound);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 1, RemainingEntries: 0, RemainingBytes: 0), result);
        Assert.Equal(RedisType.Hash, await Raw.KeyTypeAsync(_prefix + "e:xyz").WaitAsync(Bound));
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:abc:def").WaitAsync(Bound));
        Assert.Single(_logger.Lines, line => line.Contains($"skipped 2 keys under {_prefix} that are not cache entries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClearAsync_Null_DeletesStringEntriesAndMetadata_LeavesKeysOfOtherTypesAndNames()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[10], Ttl, default).WaitAsync(Bound);
        await store.SetMetadataAsync("pipeline.p", new byte[] { 1 }, default).WaitAsync(Bound);
        await AddForeignKeysAsync();
        await Raw.StringSetAsync(_prefix + "lease:x", "someone else's").WaitAsync(Bound);
        await Raw.HashSetAsync(_prefix + "m:pipeline.q", "field", "value").WaitAsync(Bound);

        var deleted = await store.ClearAsync(null, default).WaitAsync(Bound);

        Assert.Equal(1, deleted);
        Assert.Null(await store.GetMetadataAsync("pipeline.p", default).WaitAsync(Bound));
        foreach (var kept in new[] { "e:xyz", "e:abc:def", "lease:x", "m:pipeline.q" })
        {
            Assert.True(await Raw.KeyExistsAsync(_prefix + kept).WaitAsync(Bound), kept);
        }

        Assert.Single(_logger.Lines, line => line.Contains($"skipped 4 keys under {_prefix} that are not cache entries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StringKeysNamedLikeEntriesButNotShapedLikeThem_AreSkippedCountedAndKeptByStatsGcAndClear()
    {
        // Entry keys are lowercase hex on both sides: a string under e: with other names is someone else's.
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[10], Ttl, default).WaitAsync(Bound);
        await Raw.StringSetAsync(_prefix + "e:SIG:in", "not ours").WaitAsync(Bound);
        await Raw.StringSetAsync(_prefix + "e:aa00:bb00:extra", "not ours").WaitAsync(Bound);

        var stats = await store.GetStatsAsync(default).WaitAsync(Bound);
        var gc = await store.CollectGarbageAsync(maxBytes: 0, default).WaitAsync(Bound);
        var cleared = await store.ClearAsync(null, default).WaitAsync(Bound);

        Assert.Equal(new CacheStoreStats(Entries: 1, Bytes: 10, Signatures: 1), stats);
        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 1, RemainingEntries: 0, RemainingBytes: 0), gc);
        Assert.Equal(0, cleared);
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:SIG:in").WaitAsync(Bound));
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:aa00:bb00:extra").WaitAsync(Bound));
        Assert.Equal(3, _logger.Lines.Count(line => line.Contains($"skipped 2 keys under {_prefix} that are not cache entries", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ClearAsync_Signature_LeavesAStreamNamedLikeOneOfItsEntries()
    {
        await using var store = await ConnectAsync();
        await store.SetAsync(new CacheKey("abc", "bb00"), new byte[10], Ttl, default).WaitAsync(Bound);
        await AddForeignKeysAsync(); // the stream is {prefix}e:abc:def

        var deleted = await store.ClearAsync(["abc"], default).WaitAsync(Bound);

        Assert.Equal(1, deleted);
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:abc:def").WaitAsync(Bound));
        Assert.Null(await store.GetAsync(new CacheKey("abc", "bb00"), default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetAsync_EntryKeyHoldingAStream_ThrowsUnusableEntryNamingTheType_AndSetAsyncReplacesIt()
    {
        await using var store = await ConnectAsync();
        await AddForeignKeysAsync();
        var key = new CacheKey("abc", "def");

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(key, default)).WaitAsync(Bound);
        await store.SetAsync(key, new byte[] { 7 }, Ttl, default).WaitAsync(Bound);

        var unusable = Assert.IsType<CacheEntryUnusableException>(error);
        Assert.Equal($"the entry key {_prefix}e:abc:def holds a stream, not a string", unusable.Reason);
        Assert.Equal(new byte[] { 7 }, await store.GetAsync(key, default).WaitAsync(Bound));
    }

    [Fact]
    public async Task GetMetadataAsync_KeyHoldingAHash_ThrowsUnusableEntry()
    {
        await using var store = await ConnectAsync();
        await Raw.HashSetAsync(_prefix + "m:pipeline.p", "field", "value").WaitAsync(Bound);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetMetadataAsync("pipeline.p", default)).WaitAsync(Bound);

        var unusable = Assert.IsType<CacheEntryUnusableException>(error);
        Assert.Equal($"the metadata document key {_prefix}m:pipeline.p holds a hash, not a string", unusable.Reason);
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("clear")]
    [InlineData("gc")]
    [InlineData("metadata")]
    public async Task MaintenanceCalls_WhenRedisIsDown_ThrowUnreachableNamingTheEndpoint(string call)
    {
        var closedPort = RedisServerFixture.FreeLoopbackPort();
        await using var store = await RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions
            {
                Configuration = $"127.0.0.1:{closedPort},password=s3cret-pass",
                KeyPrefix = _prefix,
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                OperationTimeout = TimeSpan.FromSeconds(1),
            },
            _logger,
            default).WaitAsync(Bound);

        var error = await Xunit.Record.ExceptionAsync(() => Call(store, call)).WaitAsync(Bound);

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.Unreachable, failure.Failure);
        // The cause depends on how far the client got (socket failure, or no connection in time).
        Assert.StartsWith($"cache store Redis 127.0.0.1:{closedPort} cannot be reached: ", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("; is redis-server running?", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(",password=wrong-pass-4711")]
    [InlineData("")]
    public async Task Calls_WithAWrongOrMissingPassword_ThrowCredentialsRejected_WithoutThePassword(string password)
    {
        var server = await RedisServerFixture.StartPrivateServerAsync(password: "right-pass-0815").WaitAsync(Bound);
        try
        {
            await WrongPasswordAsync(server, password);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }
    }

    private async Task WrongPasswordAsync(RedisServerFixture server, string password)
    {
        await using var store = await RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions
            {
                Configuration = server.Configuration + password,
                KeyPrefix = _prefix,

                // Room for a loaded machine: at 2 s the AUTH answer sometimes came after the timeout.
                ConnectTimeout = TimeSpan.FromSeconds(10),
                OperationTimeout = TimeSpan.FromSeconds(10),
                ConfigurationName = "Flow:Cache:Redis",
            },
            _logger,
            default).WaitAsync(Bound);

        foreach (var call in new[] { "get", "set", "stats", "metadata" })
        {
            var error = await Xunit.Record.ExceptionAsync(() => Call(store, call)).WaitAsync(Bound);

            var failure = Assert.IsType<CacheStoreException>(error);
            Assert.Equal(CacheStoreFailure.CredentialsRejected, failure.Failure);
            Assert.Equal($"cache store Redis at {server.Configuration} rejected the credentials (AUTH failed): check the password in Flow:Cache:Redis", failure.Message);
        }

        Assert.DoesNotContain(_logger.Lines, line => line.Contains("pass-4711", StringComparison.Ordinal) || line.Contains("pass-0815", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Calls_WithTheRightPassword_Work()
    {
        var server = await RedisServerFixture.StartPrivateServerAsync(password: "right-pass-0815").WaitAsync(Bound);
        try
        {
            await using var store = await RedisCacheStoreFactory.ConnectAsync(
                new RedisCacheStoreOptions { Configuration = server.Configuration + ",password=right-pass-0815", KeyPrefix = _prefix },
                _logger,
                default).WaitAsync(Bound);

            await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[] { 3 }, Ttl, default).WaitAsync(Bound);

            Assert.Equal(new byte[] { 3 }, await store.GetAsync(new CacheKey("aa00", "bb00"), default).WaitAsync(Bound));
            Assert.Equal(1, (await store.GetStatsAsync(default).WaitAsync(Bound)).Entries);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task GetAsync_ServerThatStopsAnswering_ThrowsTimedOutWithinTheOperationTimeout()
    {
        var server = await RedisServerFixture.StartPrivateServerAsync().WaitAsync(Bound);
        try
        {
            await ServerThatStopsAnsweringAsync(server);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }
    }

    private async Task ServerThatStopsAnsweringAsync(RedisServerFixture server)
    {
        await using var store = await ConnectAsync(server.Configuration, TimeSpan.FromMilliseconds(500));
        await using var control = await PauseAsync(server, TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(new CacheKey("aa00", "bb00"), default)).WaitAsync(Bound);

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.TimedOut, failure.Failure);
        Assert.Equal($"cache store Redis {server.Configuration} did not answer: no reply within 0.5 s; is the server overloaded or blocked?", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task EveryCall_ServerPaused_FailsTimedOutOrUnreachableWithinAboutTheOperationTimeout_NeverHangs()
    {
        var server = await RedisServerFixture.StartPrivateServerAsync().WaitAsync(Bound);
        try
        {
            await EveryCallPausedAsync(server);
        }
        finally
        {
            await server.DisposeAsync().WaitAsync(Bound);
        }
    }

    private async Task EveryCallPausedAsync(RedisServerFixture server)
    {
        // CLIENT PAUSE 20000 ALL holds every client's commands, as a hung server would: the client
        // times the commands out, then drops the connection and cannot get an answer on a new one.
        await using var store = await ConnectAsync(server.Configuration, TimeSpan.FromMilliseconds(500));
        await store.SetAsync(new CacheKey("aa00", "bb00"), new byte[] { 1 }, Ttl, default).WaitAsync(Bound);
        var paused = Stopwatch.StartNew();
        await using var control = await PauseAsync(server, TimeSpan.FromSeconds(20));

        var calls = new[] { "get", "set", "metadata", "set-metadata", "stats", "clear", "gc", "get", "set" };
        foreach (var call in calls)
        {
            var clock = Stopwatch.StartNew();
            var error = await Xunit.Record.ExceptionAsync(() => Call(store, call)).WaitAsync(Bound);
            clock.Stop();

            _output.WriteLine($"{call}: {clock.Elapsed.TotalMilliseconds:0} ms: {error?.Message}");
            var failure = Assert.IsType<CacheStoreException>(error);
            // Timed out; or, once the client has dropped the connection that stopped answering (when is up
            // to its heartbeat, so to the machine's load), unreachable at once: both bounded, both say so.
            Assert.True(failure.Failure is CacheStoreFailure.TimedOut or CacheStoreFailure.Unreachable, $"{call}: {failure.Failure}: {failure.Message}");
            Assert.StartsWith(
                failure.Failure == CacheStoreFailure.TimedOut
                    ? $"cache store Redis {server.Configuration} did not answer: "
                    : $"cache store Redis {server.Configuration} cannot be reached: ",
                failure.Message,
                StringComparison.Ordinal);
            // About the 0.5 s operation timeout; the bound leaves room for a loaded machine, far from the 20 s pause.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{call} took {clock.Elapsed}");
        }

        Assert.True(paused.Elapsed < TimeSpan.FromSeconds(20), $"the calls outlasted the pause ({paused.Elapsed}): the test proves nothing");

        // When the pause ends the store serves again, without a restart.
        var deadline = Stopwatch.StartNew();
        byte[]? read = null;
        while (read is null && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                read = await store.GetAsync(new CacheKey("aa00", "bb00"), default).WaitAsync(Bound);
            }
            catch (CacheStoreException)
            {
                await Task.Delay(200);
            }
        }

        Assert.Equal(new byte[] { 1 }, read);
    }

    // Pauses the server from a second connection, returned to be disposed once the pause is over:
    // the pause holds that connection too, and closing it waits for an answer.
    private static async Task<ConnectionMultiplexer> PauseAsync(RedisServerFixture server, TimeSpan duration)
    {
        var control = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true").WaitAsync(Bound);
        var milliseconds = ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await control.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", milliseconds, "ALL").WaitAsync(Bound);
        return control;
    }

    private Task<ICacheStore> ConnectAsync(string configuration, TimeSpan operationTimeout) =>
        RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions { Configuration = configuration, KeyPrefix = _prefix, OperationTimeout = operationTimeout },
            _logger,
            default).WaitAsync(Bound);

    private Task AddForeignKeysAsync() => Task.WhenAll(
        Raw.HashSetAsync(_prefix + "e:xyz", "field", "value"),
        Raw.ExecuteAsync("XADD", _prefix + "e:abc:def", "*", "data", "{}")).WaitAsync(Bound);

    private static Task Call(ICacheStore store, string call) => call switch
    {
        "get" => store.GetAsync(new CacheKey("aa00", "bb00"), default),
        "set" => store.SetAsync(new CacheKey("aa00", "bb00"), new byte[] { 1 }, Ttl, default),
        "stats" => store.GetStatsAsync(default),
        "clear" => store.ClearAsync(null, default),
        "gc" => store.CollectGarbageAsync(0, default),
        "set-metadata" => store.SetMetadataAsync("pipeline.p", new byte[] { 1 }, default),
        _ => store.GetMetadataAsync("pipeline.p", default),
    };

    private Task<ICacheStore> ConnectAsync() =>
        RedisCacheStoreFactory.ConnectAsync(
            new RedisCacheStoreOptions { Configuration = _redis.Configuration, KeyPrefix = _prefix },
            _logger,
            default).WaitAsync(Bound);
}
