using Flow.Caching;

namespace Flow.Tests.Caching;

public sealed class MemoryCacheStoreTests : CacheStoreContractTests
{
    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<ICacheStore>(new MemoryCacheStore(time));

    [Fact]
    public async Task CollectGarbageAsync_AccessesAtTheSameInstant_EvictsInAccessOrder()
    {
        // The clock does not move at all: the access sequence still orders the entries.
        await Store.SetAsync(Key("aa11", "a001"), Sized(100, 1), Day, None).WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "b002"), Sized(100, 2), Day, None).WaitAsync(Timeout);
        await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout);

        await Store.CollectGarbageAsync(100, None).WaitAsync(Timeout);

        Assert.NotNull(await Store.GetAsync(Key("aa11", "a001"), None).WaitAsync(Timeout));
        Assert.Null(await Store.GetAsync(Key("aa11", "b002"), None).WaitAsync(Timeout));
    }
}
