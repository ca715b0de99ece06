using Flow.Caching;

namespace Flow;

/// <summary>What a garbage collection of the cache removed and kept.</summary>
/// <param name="Expired">Entries removed because they were past their time to live.</param>
/// <param name="Evicted">Entries removed, least recently used first, to get under the size bound.</param>
/// <param name="RemainingEntries">Entries left.</param>
/// <param name="RemainingBytes">Bytes left.</param>
public sealed record CacheGcResult(long Expired, long Evicted, long RemainingEntries, long RemainingBytes);
