using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>What every caching decorator of one pipeline run shares: the store (behind its health guard), the write-behind, the codec, the settings.</summary>
internal sealed record StepCacheScope(
    string Pipeline,
    CacheStoreHealth Health,
    CacheWriteBehind Writes,
    CacheEntryCodec Codec,
    CacheSettings Settings,
    TimeProvider Time,
    ILogger Logger);
