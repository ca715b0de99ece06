using Flow.Caching;

namespace Flow;

/// <summary>What a cache store holds.</summary>
/// <param name="Entries">Number of entries.</param>
/// <param name="Bytes">Total size of the entries in bytes.</param>
/// <param name="Signatures">Number of distinct step signatures with entries.</param>
public sealed record CacheStoreStats(long Entries, long Bytes, long Signatures);
