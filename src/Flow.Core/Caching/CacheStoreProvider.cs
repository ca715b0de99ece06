using Flow.Parameters;
using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// The one cache store of this process, chosen by <c>Flow:Cache:Store</c> among the registered
/// stores and made on first use: one Redis connection (or one File store) shared by every pipeline,
/// behind one circuit breaker, disposed with the host.
/// </summary>
internal sealed class CacheStoreProvider : IAsyncDisposable
{
    /// <summary>The <c>Flow:Cache:Store</c> that means no cache at all: steps run undecorated, nothing is read or written.</summary>
    public const string None = "None";

    private readonly IReadOnlyList<CacheStoreRegistration> _stores;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CacheStoreGuard? _guard;

    public CacheStoreProvider(FlowCacheOptions options, IEnumerable<CacheStoreRegistration> stores, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        Options = options;
        _stores = stores.ToList();
        _services = services;
        _loggerFactory = loggerFactory;
    }

    public FlowCacheOptions Options { get; }

    /// <summary>Whether this configuration runs without a cache (<c>Flow:Cache:Store=None</c>).</summary>
    public bool IsNone => IsNoStore(Options);

    /// <summary>Whether <paramref name="options"/> name no store (<c>Flow:Cache:Store=None</c>).</summary>
    public static bool IsNoStore(FlowCacheOptions options) => string.Equals(options.Store, None, StringComparison.OrdinalIgnoreCase);

    /// <summary>The store's size bound (<c>Flow:Cache:MaxSize</c>), or null.</summary>
    public long? MaxBytes => ByteSize.TryParse(Options.MaxSize, out var bytes) ? bytes : null;

    /// <summary>The problems of the cache settings: a store nobody registered, or settings the chosen store cannot use.</summary>
    public IReadOnlyList<ConfigurationError> Validate() => Validate(Options, _stores);

    /// <summary>The problems of <paramref name="options"/> with these stores registered (checked before a host runs anything).</summary>
    public static IReadOnlyList<ConfigurationError> Validate(FlowCacheOptions options, IEnumerable<CacheStoreRegistration> stores)
    {
        var registered = stores.ToList();
        if (IsNoStore(options) && Find(registered, options.Store) is null)
        {
            return options.Required
                ? [new ConfigurationError("Flow:Cache:Required", $"is true, but Flow:Cache:Store is {None}: a required cache needs a store (File, Memory, Redis)")]
                : [];
        }

        if (Find(registered, options.Store) is { } registration)
        {
            return registration.Validate?.Invoke(options).ToList() ?? [];
        }

        var names = registered.Select(s => s.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return
        [
            new ConfigurationError("Flow:Cache:Store", $"'{options.Store}' is not a cache store of this host{Suggestions.DidYouMean(options.Store, [.. names, None])} (stores: {string.Join(", ", names)}; or {None}: no cache)"),
        ];
    }

    /// <summary>The store, behind its circuit breaker; made on the first call.</summary>
    /// <exception cref="CacheStoreException">The store cannot be made (Redis refuses the credentials, say).</exception>
    public async Task<CacheStoreGuard> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _guard) is { } guard)
        {
            return guard;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_guard is null)
            {
                var registration = Find(_stores, Options.Store) ?? throw new InvalidOperationException(Validate()[0].ToString());
                var store = await registration.Create(_services, Options, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _guard, new CacheStoreGuard(store, _loggerFactory.CreateLogger("Flow.Caching")));
            }

            return _guard!;
        }
        finally
        {
            _gate.Release();
        }
    }

    public CacheEntryCodec CreateCodec() =>
        new(string.IsNullOrEmpty(Options.SigningKey) ? null : System.Text.Encoding.UTF8.GetBytes(Options.SigningKey));

    public async ValueTask DisposeAsync()
    {
        if (_guard is not null)
        {
            await _guard.DisposeAsync().ConfigureAwait(false);
            await _guard.Store.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    // The last registration of a name wins, and an application's own wins over a default one, so it
    // can replace a built-in store whether it registers before or after AddFlow().
    private static CacheStoreRegistration? Find(IReadOnlyList<CacheStoreRegistration> stores, string name) =>
        stores.LastOrDefault(s => !s.IsDefault && Named(s, name)) ?? stores.LastOrDefault(s => Named(s, name));

    private static bool Named(CacheStoreRegistration store, string name) => string.Equals(store.Name, name, StringComparison.OrdinalIgnoreCase);
}
