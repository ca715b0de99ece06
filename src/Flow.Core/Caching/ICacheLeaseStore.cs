using Flow.Caching;

namespace Flow;

/// <summary>
/// An optional capability of an <see cref="ICacheStore"/>: leases on cache keys, so that workers
/// sharing the store compute each uncached batch once. A worker that misses a batch takes the
/// batch's lease before it runs the step, renews it while the step runs and releases it once the
/// entry is written; a worker that finds the lease taken waits for the entry instead of computing it
/// too. A lease that is not renewed lapses after its time to live, so the lease of a worker that died
/// is taken over by another.
/// </summary>
/// <remarks>
/// Leases only save work: entries are content-addressed, so two workers computing the same batch
/// write the same entry. A store that cannot lease (or fails to) makes workers compute on their own,
/// never wrongly. Keys are held to the same rules as in <see cref="ICacheStore"/>.
/// </remarks>
public interface ICacheLeaseStore
{
    /// <summary>
    /// Takes the lease of <paramref name="key"/> for <paramref name="timeToLive"/>, or returns null
    /// when another holder has it and it has not lapsed. A lapsed lease is taken over.
    /// </summary>
    /// <param name="key">The entry the lease is for.</param>
    /// <param name="timeToLive">How long the lease holds without a renewal (positive).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lease, held until it is disposed or lapses; null when another holder has it.</returns>
    /// <exception cref="CacheStoreException">The store failed: the caller computes without a lease.</exception>
    Task<ICacheLease?> TryAcquireLeaseAsync(CacheKey key, TimeSpan timeToLive, CancellationToken cancellationToken);
}
