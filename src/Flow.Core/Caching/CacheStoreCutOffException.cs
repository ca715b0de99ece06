namespace Flow.Caching;

/// <summary>A call not attempted because the store's circuit is open (<see cref="CacheStoreGuard"/>): the caller runs without the cache.</summary>
internal sealed class CacheStoreCutOffException : Exception
{
    public CacheStoreCutOffException(string store)
        : base($"cache store {store} is cut off after a failure; calls resume when it answers again")
    {
    }
}
