using System.Text;
using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>
/// What every <see cref="ICacheStore"/> must do, run against each store by a derived class. The clock
/// is manual and starts in the past, so a test moves time explicitly (and, for the file store, the
/// wall clock never agrees with the store's clock by accident).
/// </summary>
/// <remarks>
/// Linked into Flow.Redis.Tests as well. The tests that need the manual clock to pass (expiry, and
/// least-recently-used order measured in seconds) are virtual: a store that keeps time by a clock
/// of its own (Redis) overrides them with a skip that says why, and tests the same ground with
/// real time in its own tests. Every other test runs against every store unchanged.
/// </remarks>
public abstract class CacheStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Day = TimeSpan.FromDays(1);
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ICacheStore? _store;

    protected ManualTimeProvider Time { get; } = new(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero));

    protected ICacheStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    protected static CancellationToken None => CancellationToken.None;

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync(Time);
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected abstract Task<ICacheStore> CreateStoreAsync(TimeProvider time);

    protected static CacheKey Key(string signature, string input) => new(signature, input);

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static byte[] Sized(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetAsync_ThenGetAsync_ReturnsSameBytes()
    {
        var value = Bytes("hello cache");
        await Store.SetAsync(Key("aa11", "bb22"), value, Day, None).WaitAsync(Timeout);

        Assert.Equal(value, await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetAsync_EmptyValue_IsStoredNotMissing()
    {
        await Store.SetAsync(Key("aa11", "bb22"), ReadOnlyMemory<byte>.Empty, Day, None).WaitAsync(Timeout);

        var value = await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout);
        Assert.NotNull(value);
        Assert.Empty(value);
    }

    [Fact]
    public async Task SetAsync_ExistingKey_ReplacesValue()
    {
        await Store.SetAsync(Key("aa11", "bb22"), Bytes("first, longer value"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "bb22"), Bytes("second"), Day, None).WaitAsync(Timeout);

        Assert.Equal(Bytes("second"), await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetAsync_SameInputOtherSignature_IsAnotherEntry()
    {
        await Store.SetAsync(Key("aa11", "bb22"), Bytes("one"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa12", "bb22"), Bytes("two"), Day, None).WaitAsync(Timeout);

        Assert.Equal(Bytes("one"), await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
        Assert.Equal(Bytes("two"), await Store.GetAsync(Key("aa12", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task GetAsync_CallersChangeTheirArrays_StoredValueUnchanged()
    {
        var value = Bytes("original");
        await Store.SetAsync(Key("aa11", "bb22"), value, Day, None).WaitAsync(Timeout);
        value[0] = (byte)'X';
        var first = await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout);
        first![1] = (byte)'Y';

        Assert.Equal(Bytes("original"), await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public virtual async Task GetAsync_AfterTimeToLive_ReturnsNull()
    {
        await Store.SetAsync(Key("aa11", "bb22"), Bytes("v"), TimeSpan.FromMinutes(10), None).WaitAsync(Timeout);

        Time.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetAsync_InfiniteTimeToLive_NeverExpires()
    {
        await Store.SetAsync(Key("aa11", "bb22"), Bytes("v"), System.Threading.Timeout.InfiniteTimeSpan, None).WaitAsync(Timeout);

        Time.Advance(TimeSpan.FromDays(3650));

        Assert.NotNull(await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetAsync_ZeroTimeToLive_Throws()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SetAsync(Key("aa11", "bb22"), Bytes("v"), TimeSpan.Zero, None)).WaitAsync(Timeout);
    }

    [Theory]
    [InlineData("../aa", "bb22")]
    [InlineData("aa11", "..")]
    [InlineData("AA11", "bb22")]
    [InlineData("aa11", "b")]
    [InlineData("", "bb22")]
    [InlineData("aa/11", "bb22")]
    public async Task SetAndGet_KeyNotLowercaseHex_Throw(string signature, string input)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SetAsync(Key(signature, input), Bytes("v"), Day, None)).WaitAsync(Timeout);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(Key(signature, input), None)).WaitAsync(Timeout);
    }

    [Fact]
    public async Task GetMetadataAsync_Missing_ReturnsNull()
    {
        Assert.Null(await Store.GetMetadataAsync("pipeline:flights", None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetMetadataAsync_ThenGet_ReturnsLatestValue()
    {
        await Store.SetMetadataAsync("pipeline:flights", Bytes("v1"), None).WaitAsync(Timeout);
        await Store.SetMetadataAsync("pipeline:flights", Bytes("v2"), None).WaitAsync(Timeout);
        await Store.SetMetadataAsync("pipeline:other", Bytes("o"), None).WaitAsync(Timeout);

        Assert.Equal(Bytes("v2"), await Store.GetMetadataAsync("pipeline:flights", None).WaitAsync(Timeout));
        Assert.Equal(Bytes("o"), await Store.GetMetadataAsync("pipeline:other", None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SetMetadataAsync_DoesNotExpire()
    {
        await Store.SetMetadataAsync("m", Bytes("v"), None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromDays(3650));
        await Store.CollectGarbageAsync(0, None).WaitAsync(Timeout);

        Assert.Equal(Bytes("v"), await Store.GetMetadataAsync("m", None).WaitAsync(Timeout));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public async Task SetMetadataAsync_UnsafeName_Throws(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SetMetadataAsync(name, Bytes("v"), None)).WaitAsync(Timeout);
    }

    [Fact]
    public async Task GetStatsAsync_CountsEntriesBytesAndSignatures()
    {
        await Store.SetAsync(Key("aa11", "bb01"), Sized(100, 1), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "bb02"), Sized(50, 2), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("cc33", "bb01"), Sized(25, 3), Day, None).WaitAsync(Timeout);
        await Store.SetMetadataAsync("m", Sized(1000, 4), None).WaitAsync(Timeout);

        var stats = await Store.GetStatsAsync(None).WaitAsync(Timeout);

        Assert.Equal(new CacheStoreStats(Entries: 3, Bytes: 175, Signatures: 2), stats);
    }

    [Fact]
    public async Task GetStatsAsync_EmptyStore_CountsNothing()
    {
        Assert.Equal(new CacheStoreStats(0, 0, 0), await Store.GetStatsAsync(None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ClearAsync_Signatures_KeepsOtherSignatures()
    {
        await Store.SetAsync(Key("aa11", "bb01"), Bytes("1"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "cc02"), Bytes("2"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("dd44", "bb01"), Bytes("3"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("ee55", "bb01"), Bytes("4"), Day, None).WaitAsync(Timeout);
        await Store.SetMetadataAsync("m", Bytes("meta"), None).WaitAsync(Timeout);

        var removed = await Store.ClearAsync(["aa11", "dd44", "ff66"], None).WaitAsync(Timeout);

        Assert.Equal(3, removed);
        Assert.Null(await Store.GetAsync(Key("aa11", "bb01"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "cc02"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("dd44", "bb01"), None).WaitAsync(Timeout));
        Assert.Equal(Bytes("4"), await Store.GetAsync(Key("ee55", "bb01"), None).WaitAsync(Timeout));
        Assert.Equal(Bytes("meta"), await Store.GetMetadataAsync("m", None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ClearAsync_Null_RemovesEntriesAndMetadata()
    {
        await Store.SetAsync(Key("aa11", "bb01"), Bytes("1"), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("dd44", "bb01"), Bytes("2"), Day, None).WaitAsync(Timeout);
        await Store.SetMetadataAsync("m", Bytes("meta"), None).WaitAsync(Timeout);

        var removed = await Store.ClearAsync(null, None).WaitAsync(Timeout);

        Assert.Equal(2, removed);
        Assert.Equal(new CacheStoreStats(0, 0, 0), await Store.GetStatsAsync(None).WaitAsync(Timeout));
        Assert.Null(await Store.GetMetadataAsync("m", None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "bb01"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ClearAsync_ThenSet_Works()
    {
        await Store.SetAsync(Key("aa11", "bb01"), Bytes("1"), Day, None).WaitAsync(Timeout);
        await Store.ClearAsync(null, None).WaitAsync(Timeout);

        await Store.SetAsync(Key("aa11", "bb01"), Bytes("2"), Day, None).WaitAsync(Timeout);

        Assert.Equal(Bytes("2"), await Store.GetAsync(Key("aa11", "bb01"), None).WaitAsync(Timeout));
    }

    [Fact]
    public virtual async Task CollectGarbageAsync_RemovesExpiredEntriesOnly()
    {
        await Store.SetAsync(Key("aa11", "bb01"), Sized(10, 1), TimeSpan.FromHours(1), None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "bb02"), Sized(20, 2), TimeSpan.FromHours(3), None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromHours(2));

        var result = await Store.CollectGarbageAsync(null, None).WaitAsync(Timeout);

        Assert.Equal(new CacheGcResult(Expired: 1, Evicted: 0, RemainingEntries: 1, RemainingBytes: 20), result);
        Assert.Equal(new CacheStoreStats(1, 20, 1), await Store.GetStatsAsync(None).WaitAsync(Timeout));
        Assert.NotNull(await Store.GetAsync(Key("aa11", "bb02"), None).WaitAsync(Timeout));
    }

    [Fact]
    public virtual async Task CollectGarbageAsync_OverBound_EvictsLeastRecentlyUsedFirst()
    {
        string[] inputs = ["a001", "b002", "c003", "d004"];
        foreach (var input in inputs)
        {
            await Store.SetAsync(Key("aa11", input), Sized(100, 7), Day, None).WaitAsync(Timeout);
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        // a001 was written first but read last: b002 and c003 are now the least recently used.
        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
        Time.Advance(TimeSpan.FromSeconds(1));

        var result = await Store.CollectGarbageAsync(250, None).WaitAsync(Timeout);

        Assert.Equal(new CacheGcResult(Expired: 0, Evicted: 2, RemainingEntries: 2, RemainingBytes: 200), result);
        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "b002"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "c003"), None).WaitAsync(Timeout));
        Assert.NotNull(await Store.GetAsync(Key("aa11", "d004"), None).WaitAsync(Timeout));
    }

    [Fact]
    public virtual async Task CollectGarbageAsync_Repeated_KeepsLeastRecentlyUsedOrder()
    {
        await Store.SetAsync(Key("aa11", "a001"), Sized(100, 1), Day, None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.SetAsync(Key("aa11", "b002"), Sized(100, 2), Day, None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
        Time.Advance(TimeSpan.FromSeconds(1));

        // A collection that evicts nothing must not disturb the order the next one sees.
        await Store.CollectGarbageAsync(null, None).WaitAsync(Timeout);
        var result = await Store.CollectGarbageAsync(150, None).WaitAsync(Timeout);

        Assert.Equal(1, result.Evicted);
        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "b002"), None).WaitAsync(Timeout));
    }

    [Fact]
    public virtual async Task CollectGarbageAsync_ExpiredAndOverBound_RemovesExpiredBeforeEvicting()
    {
        await Store.SetAsync(Key("aa11", "a001"), Sized(100, 1), Day, None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.SetAsync(Key("aa11", "b002"), Sized(100, 2), TimeSpan.FromMinutes(1), None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromMinutes(5));

        var result = await Store.CollectGarbageAsync(100, None).WaitAsync(Timeout);

        Assert.Equal(new CacheGcResult(Expired: 1, Evicted: 0, RemainingEntries: 1, RemainingBytes: 100), result);
        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task CollectGarbageAsync_ZeroBound_RemovesEveryEntry()
    {
        await Store.SetAsync(Key("aa11", "a001"), Sized(10, 1), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("bb22", "a001"), Sized(10, 1), Day, None).WaitAsync(Timeout);

        var result = await Store.CollectGarbageAsync(0, None).WaitAsync(Timeout);

        Assert.Equal(new CacheGcResult(0, 2, 0, 0), result);
        Assert.Equal(new CacheStoreStats(0, 0, 0), await Store.GetStatsAsync(None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Operations_CanceledToken_Throw()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.GetAsync(Key("aa11", "bb22"), cts.Token)).WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.SetAsync(Key("aa11", "bb22"), Bytes("v"), Day, cts.Token)).WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.CollectGarbageAsync(null, cts.Token)).WaitAsync(Timeout);
    }
}
