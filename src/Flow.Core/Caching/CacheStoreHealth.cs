using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// Degrades a failing store to "no cache": the first failure is logged as a warning, later ones are
/// counted, and a success after failures is logged once, so an outage does not flood the log.
/// With <see cref="CacheSettings.Required"/> a failure is rethrown and fails the run instead.
/// </summary>
internal sealed class CacheStoreHealth
{
    private readonly ICacheStore _store;
    private readonly ILogger _logger;
    private readonly bool _required;
    private long _failures;
    private int _failing;

    public CacheStoreHealth(ICacheStore store, ILogger logger, bool required)
    {
        _store = store;
        _logger = logger;
        _required = required;
    }

    /// <summary>Failed store calls in this run.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Runs a store call; on failure returns <paramref name="fallback"/> (or throws when the cache is required).</summary>
    public async Task<T> CallAsync<T>(Func<ICacheStore, CancellationToken, Task<T>> call, T fallback, CancellationToken cancellationToken)
    {
        try
        {
            var result = await call(_store, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
            {
                CacheLog.StoreRecovered(_logger, _store.Description, Failures);
            }

            return result;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            Interlocked.Increment(ref _failures);
            if (_required)
            {
                throw new InvalidOperationException($"the cache store {_store.Description} failed and Flow:Cache:Required is true: {ex.Message}", ex);
            }

            if (Interlocked.Exchange(ref _failing, 1) == 0)
            {
                CacheLog.StoreFailed(_logger, _store.Description, ex.GetBaseException().Message);
            }

            return fallback;
        }
    }

    public Task CallAsync(Func<ICacheStore, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async (store, ct) =>
        {
            await call(store, ct).ConfigureAwait(false);
            return true;
        }, false, cancellationToken);
}
