using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>The lease contract on the Memory store: leases hold within the process, so both "workers" are one instance.</summary>
public sealed class MemoryCacheStoreLeaseTests : CacheLeaseStoreContractTests
{
    private MemoryCacheStore? _store;

    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<ICacheStore>(_store = new MemoryCacheStore(time));

    protected override Task<ICacheStore> CreateOtherWorkerAsync(TimeProvider time) => Task.FromResult<ICacheStore>(_store!);
}
