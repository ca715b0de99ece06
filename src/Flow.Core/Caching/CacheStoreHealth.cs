using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// Degrades a failing store to "no cache" for one run: the first failure is logged as a warning,
/// the first success after it once as a recovery, and every failure is counted (and reported at
/// the end of the run), so neither an outage nor a store that half works (reads fine, writes fail)
/// floods the log. With <see cref="CacheSettings.Required"/> a failure fails the run instead.
/// </summary>
internal sealed class CacheStoreHealth
{
    private readonly ICacheStore _store;
    private readonly ILogger _logger;
    private readonly bool _required;
    private long _failures;
    private int _warned;
    private int _recoveryLogged;

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
            if (Volatile.Read(ref _warned) == 1 && Interlocked.Exchange(ref _recoveryLogged, 1) == 0)
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

            if (Interlocked.Exchange(ref _warned, 1) == 0)
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

    /// <summary>Logs how many store calls failed in the run, if any did.</summary>
    public void ReportFailures(string pipeline)
    {
        if (Failures > 0)
        {
            CacheLog.StoreFailures(_logger, pipeline, _store.Description, Failures);
        }
    }
}
