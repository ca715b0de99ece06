using Flow.Caching;
using Flow.Execution;
using Flow.Redis.Tests;
using StackExchange.Redis;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// The step cache contract on the Redis store: the collection's server, under a key prefix of its
/// own per test. Entries are read and damaged with StackExchange.Redis directly.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisStepCacheTests : StepCacheContractTests
{
    private readonly RedisServerFixture _redis;
    private readonly string _prefix;
    private ConnectionMultiplexer? _connection;

    public RedisStepCacheTests(RedisServerFixture redis)
    {
        _redis = redis;
        _prefix = redis.NewKeyPrefix();
    }

    public override async Task InitializeAsync() =>
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(TimeSpan.FromSeconds(10));

    public override async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            foreach (var key in Server.Keys(pattern: _prefix + "*", pageSize: 1000).ToArray())
            {
                await Database.KeyDeleteAsync(key).WaitAsync(TimeSpan.FromSeconds(10));
            }

            await _connection.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10));
            _connection.Dispose();
        }
    }

    private IDatabase Database => _connection!.GetDatabase();

    private string EntryKey(CacheKey key) => _prefix + "e:" + key.Signature + ":" + key.Input;

    private IServer Server => _connection!.GetServer(_redis.Host, _redis.Port);

    protected override IReadOnlyDictionary<string, string?> StoreSettings() => new Dictionary<string, string?>
    {
        ["Flow:Cache:Store"] = "Redis",
        ["Flow:Cache:Redis"] = _redis.Configuration,
        ["Flow:Cache:KeyPrefix"] = _prefix,
    };

    /// <summary>A loopback port nobody listens on.</summary>
    protected override IReadOnlyDictionary<string, string?> UnavailableStoreSettings() => new Dictionary<string, string?>
    {
        ["Flow:Cache:Store"] = "Redis",
        ["Flow:Cache:Redis"] = "127.0.0.1:" + RedisServerFixture.FreeLoopbackPort(),
        ["Flow:Cache:KeyPrefix"] = _prefix,
    };

    protected override Task<IReadOnlyList<CacheKey>> EntryKeysAsync(string signature)
    {
        var start = _prefix + "e:" + signature + ":";
        IReadOnlyList<CacheKey> keys = Server.Keys(pattern: start + "*", pageSize: 1000)
            .Select(k => new CacheKey(signature, ((string)k!)[start.Length..]))
            .ToList();
        return Task.FromResult(keys);
    }

    protected override async Task<byte[]> ReadRawEntryAsync(CacheKey key)
    {
        var value = await Database.StringGetAsync(EntryKey(key)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(value.IsNull, $"no entry {EntryKey(key)}");
        return (byte[])value!;
    }

    protected override async Task OverwriteRawEntryAsync(CacheKey key, int offset, byte[] bytes)
    {
        var ttl = await Database.KeyTimeToLiveAsync(EntryKey(key)).WaitAsync(TimeSpan.FromSeconds(10));
        await Database.StringSetRangeAsync(EntryKey(key), offset, bytes).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(ttl); // SETRANGE keeps the key's expiry: still an entry in every other respect
    }

    [Fact]
    public async Task RedisStoppingMidRun_DegradesToRunningWithoutTheCache_WithTheRightOutput()
    {
        var definition = Flights();
        var server = await RedisServerFixture.StartPrivateServerAsync();
        var stopped = false;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Flow:Cache:Store"] = "Redis",
                ["Flow:Cache:Redis"] = server.Configuration,
                ["Flow:Cache:KeyPrefix"] = _prefix,
            };
            Harness.Probes["tag"].BeforeBatch = async index =>
            {
                if (index == 10 && !stopped)
                {
                    stopped = true;
                    await server.DisposeAsync();
                }
            };

            var run = await Harness.RunAsync(definition, settings);

            Assert.True(stopped);
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal((await RunWithoutCacheAsync(definition)).Output, run.Output);
            Assert.Equal(BatchCount, run.Node("tag").Misses);
            Assert.Single(Harness.Logs.Events, e => e.Id.Id == 213);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task EntryKeyHoldingAHash_WithCacheRequired_IsOneLoggedMiss_AndTheNextRunHits()
    {
        var definition = Flights();
        await RunAsync(definition);
        var victim = (await EntryKeysAsync(SignatureOf(definition, "score"))).OrderBy(k => k.Input, StringComparer.Ordinal).First();
        await Database.KeyDeleteAsync(EntryKey(victim)).WaitAsync(TimeSpan.FromSeconds(10));
        await Database.HashSetAsync(EntryKey(victim), "field", "someone else's").WaitAsync(TimeSpan.FromSeconds(10));
        Harness.Probes.ResetAll();

        var repaired = await RunAsync(definition, ("Required", "true"));

        Assert.Equal(RunStatus.Completed, repaired.Status);
        Assert.Equal(1, repaired.Node("score").Misses);
        var bad = Assert.Single(Harness.Logs.Events, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Equal(202, bad.Id.Id);
        Assert.Contains("holds a hash, not a string", bad.Message, StringComparison.Ordinal);

        Harness.Probes.ResetAll();
        var after = await RunAsync(definition, ("Required", "true"));
        AssertAllHits(after, "score");
    }
}
