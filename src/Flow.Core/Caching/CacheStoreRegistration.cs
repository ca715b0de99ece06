namespace Flow.Caching;

/// <summary>A cache store Flow may use, under the name <c>Flow:Cache:Store</c> chooses it by.</summary>
/// <param name="Name">The store's name (<c>File</c>, <c>Memory</c>, <c>Redis</c>...), compared ignoring case.</param>
/// <param name="Create">Makes the store, once per process, from the <c>Flow:Cache</c> settings.</param>
/// <param name="Validate">Checks the settings the store needs, before anything runs; null when there is nothing to check.</param>
/// <param name="IsDefault">One of the stores <c>AddFlow()</c> registers: any other registration of its name wins over it, before or after.</param>
internal sealed record CacheStoreRegistration(
    string Name,
    Func<IServiceProvider, FlowCacheOptions, CancellationToken, ValueTask<ICacheStore>> Create,
    Func<FlowCacheOptions, IEnumerable<ConfigurationError>>? Validate,
    bool IsDefault = false);
