using Flow.Caching;
using Flow.Redis.Caching;
using Flow.Tests.Caching;
using StackExchange.Redis;

namespace Flow.Redis.Tests.Caching;

/// <summary>
/// The lease contract on Redis: two connections (two workers) under one key prefix of the
/// collection's server. Redis expires lease keys by its own clock, so time passes for real here,
/// with leases of one second. Plus what only Redis has: the lease key, its expiry, its hash slot.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCacheStoreLeaseTests : CacheLeaseStoreContractTests
{
    private readonly RedisServerFixture _redis;
    private readonly string _prefix;

    public RedisCacheStoreLeaseTests(RedisServerFixture redis)
    {
        _redis = redis;
        _prefix = redis.NewKeyPrefix();
    }

    // Real time against a real server: a life long enough that a stall of the loaded CI machine (one
    // CI run failed a 1 s life: a renewal and the next acquire more than 0.4 s late) cannot pass for a lapse.
    protected override TimeSpan Life => TimeSpan.FromSeconds(3);

    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => ConnectAsync(_prefix);

    protected override Task<ICacheStore> CreateOtherWorkerAsync(TimeProvider time) => ConnectAsync(_prefix);

    protected override Task LetTimePassAsync(TimeSpan span) => Task.Delay(span);

    private Task<ICacheStore> ConnectAsync(string prefix) =>
        RedisCacheStoreFactory.ConnectAsync(new RedisCacheStoreOptions { Configuration = _redis.Configuration, KeyPrefix = prefix }, null, CancellationToken.None).WaitAsync(Timeout);

    [Fact]
    public async Task TryAcquire_SetsAnExpiringLeaseKeyHoldingARandomTokenAndItsHolder_AndReleaseDeletesIt()
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var database = raw.GetDatabase();
        var key = (RedisKey)(_prefix + "l:aa11:bb22");

        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        var token = (string?)await database.StringGetAsync(key);
        Assert.Matches("^[0-9a-f]{32}\\|", token);
        Assert.EndsWith("|" + LeaseHolder.Current, token);
        var ttl = await database.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), Life);

        // A second lease on another key holds another token.
        await using (var other = await AcquireAsync(Worker1, Key("aa11", "bb23")))
        {
            Assert.NotEqual(token, (string?)await database.StringGetAsync(_prefix + "l:aa11:bb23"));
        }

        await held.DisposeAsync();
        Assert.False(await database.KeyExistsAsync(key));
    }

    [Fact]
    public async Task TryAcquire_LeaseOfAProcessOfThisMachineThatIsGone_IsTakenOverAtOnce()
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var database = raw.GetDatabase();
        var key = (RedisKey)(_prefix + "l:aa11:bb22");
        await database.StringSetAsync(key, "0123456789abcdef0123456789abcdef|" + TestLeaseHolders.Gone(), TimeSpan.FromMinutes(10));

        await using var taker = await AcquireAsync(Worker1, Key("aa11", "bb22"));

        Assert.NotNull(taker);
        Assert.EndsWith("|" + LeaseHolder.Current, (string?)await database.StringGetAsync(key));
    }

    [Theory]
    [InlineData("live")]
    [InlineData("elsewhere")]
    [InlineData("no holder")]
    public async Task TryAcquire_LeaseOfALiveOrUnknownHolder_IsNotTakenOver(string kind)
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var database = raw.GetDatabase();
        var key = (RedisKey)(_prefix + "l:aa11:bb22");
        var value = kind switch
        {
            "live" => "0123456789abcdef0123456789abcdef|" + LeaseHolder.Current,
            "elsewhere" => "0123456789abcdef0123456789abcdef|" + TestLeaseHolders.Gone().Replace(Environment.MachineName, "elsewhere"),
            _ => "0123456789abcdef0123456789abcdef", // written by an earlier Flow
        };
        await database.StringSetAsync(key, value, TimeSpan.FromMinutes(10));

        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22")));
        Assert.Equal(value, (string?)await database.StringGetAsync(key));
        await database.KeyDeleteAsync(key);
    }

    [Fact]
    public async Task TryAcquire_KeyOfAnotherTypeInTheLeasesPlace_IsHeld()
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var database = raw.GetDatabase();
        var key = (RedisKey)(_prefix + "l:aa11:bb22");
        await database.HashSetAsync(key, "f", "v");

        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22")));
        await database.KeyDeleteAsync(key);
    }

    [Fact]
    public async Task Release_AfterAnotherWorkerSetTheKey_LeavesItAlone()
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var database = raw.GetDatabase();
        var key = (RedisKey)(_prefix + "l:aa11:bb22");

        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await database.StringSetAsync(key, "someone-else", TimeSpan.FromMinutes(1)); // taken over meanwhile

        Assert.False(await held.RenewAsync(Life, None));
        await held.DisposeAsync();
        Assert.Equal("someone-else", (string?)await database.StringGetAsync(key));
        Assert.InRange((await database.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)); // not extended either
        await database.KeyDeleteAsync(key);
    }

    [Theory]
    [InlineData("{flow}:")]
    [InlineData("app:{tenant-7}:")]
    public async Task LeaseKey_IsInTheEntrysHashSlot(string prefix)
    {
        await using var store = (RedisCacheStore)await ConnectAsync(prefix);
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration).WaitAsync(Timeout);
        var key = Key("aa11", "bb22");

        var entry = store.EntryKey(key);
        var lease = store.LeaseKey(key);

        Assert.NotEqual(entry, lease);
        Assert.Equal(raw.HashSlot(entry), raw.HashSlot(lease));
    }
}
