using Flow.Caching;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// Store type <c>BlockingWrite</c>: the memory store, but the first entry write blocks its thread (as a
/// file write does) until <see cref="ReleaseWrites"/>, so a test can see what the run does meanwhile.
/// </summary>
internal sealed class BlockingWriteStore : ICacheStore, ICacheLeaseStore
{
    private readonly MemoryCacheStore _inner = new();
    private readonly ManualResetEventSlim _writes = new();
    private int _started;
    private int _blocked;

    public string Description => "memory, first write blocking";

    /// <summary>Whether the first entry write has started.</summary>
    public bool WriteStarted => Volatile.Read(ref _started) > 0;

    /// <summary>Whether the first entry write is blocked now: started, and neither released nor given up (after 10 s).</summary>
    public bool WriteBlocked => Volatile.Read(ref _blocked) == 1;

    public void ReleaseWrites() => _writes.Set();

    public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _started) == 1)
        {
            Volatile.Write(ref _blocked, 1);
            _writes.Wait(TimeSpan.FromSeconds(10));
            Volatile.Write(ref _blocked, 0);
        }

        return _inner.SetAsync(key, value, timeToLive, cancellationToken);
    }

    public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken) => _inner.GetAsync(key, cancellationToken);

    public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken) => _inner.GetMetadataAsync(name, cancellationToken);

    public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) => _inner.SetMetadataAsync(name, value, cancellationToken);

    public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken) => _inner.GetStatsAsync(cancellationToken);

    public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken) => _inner.ClearAsync(signatures, cancellationToken);

    public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken) => _inner.CollectGarbageAsync(maxBytes, cancellationToken);

    public Task<ICacheLease?> TryAcquireLeaseAsync(CacheKey key, TimeSpan timeToLive, CancellationToken cancellationToken) => _inner.TryAcquireLeaseAsync(key, timeToLive, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _writes.Set();
        await _inner.DisposeAsync();
        _writes.Dispose();
    }
}
