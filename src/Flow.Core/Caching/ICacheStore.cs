using Flow.Caching;

namespace Flow;

/// <summary>
/// Where the step cache keeps its entries. Entries are opaque, already-encoded bytes (checksummed
/// and compressed by the caller); a store only keeps and returns them. Keys come in two parts: the
/// step signature hash (which groups the entries of one step configuration, so they can be cleared
/// together) and the input batch hash. Stores never throw into the run for a missing entry: they
/// return null.
/// </summary>
public interface ICacheStore : IAsyncDisposable
{
    /// <summary>A short name for logs and <c>flow cache stats</c> (e.g. <c>File .flow/cache</c>).</summary>
    string Description { get; }

    /// <summary>Gets an entry's bytes, or null when there is none (or it expired).</summary>
    Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Stores an entry, replacing any previous one; it expires after <paramref name="timeToLive"/>.</summary>
    Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Gets a metadata document (e.g. the last signatures of a pipeline), or null.</summary>
    Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores a metadata document; metadata does not expire.</summary>
    Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);

    /// <summary>Counts entries and bytes.</summary>
    Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes every entry of the given signatures (all entries and metadata when null); returns the number of entries deleted.</summary>
    Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes expired entries, then least recently used ones until the store holds at most
    /// <paramref name="maxBytes"/> (no size bound when null). Returns what was removed.
    /// </summary>
    Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken);
}
