using Flow.Caching;

namespace Flow;

/// <summary>
/// A lease on one cache key, taken with <see cref="ICacheLeaseStore.TryAcquireLeaseAsync"/>.
/// Disposing it releases it, if this holder still has it: a lease is never released, renewed or
/// otherwise touched on behalf of another holder. Disposing twice does nothing.
/// </summary>
/// <remarks>
/// A release that fails (the store is down) throws <see cref="CacheStoreException"/>; the lease then
/// lapses on its own at the end of its time to live.
/// </remarks>
public interface ICacheLease : IAsyncDisposable
{
    /// <summary>The key the lease is for.</summary>
    CacheKey Key { get; }

    /// <summary>
    /// Extends the lease to <paramref name="timeToLive"/> from now. Returns false when this holder
    /// no longer has it (it lapsed, was taken over, or was released): it is then not extended.
    /// </summary>
    /// <param name="timeToLive">The lease's new time to live (positive).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="CacheStoreException">The store failed; whether the lease is still held is unknown.</exception>
    Task<bool> RenewAsync(TimeSpan timeToLive, CancellationToken cancellationToken);
}
