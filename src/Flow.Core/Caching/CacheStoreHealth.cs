using Flow.Execution;
using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// Degrades a failing store to "no cache" for one run, and says what fails. Reads, writes and
/// metadata calls are tracked apart, because a store can half work: a folder that may be read but
/// not written serves misses all run long while every write fails. So:
/// <list type="bullet">
/// <item>a failure of one kind of call is logged once, as a warning that names the kind that fails,
/// when the store was healthy until then; a failure of the whole store (down, hung) is the
/// <see cref="CacheStoreGuard"/>'s to warn about, once per outage, and cuts every call off;</item>
/// <item>a recovery is logged only when every kind that failed has succeeded again;</item>
/// <item>every failure, and every call skipped while the store was cut off, is counted and reported
/// at the end of a run.</item>
/// </list>
/// With <see cref="CacheSettings.Required"/> a failure fails the run instead, with one message
/// that names the store and the failure. An unusable entry (<see cref="CacheEntryUnusableException"/>)
/// is not a store failure: it passes through to the caller, uncounted.
/// </summary>
internal sealed class CacheStoreHealth
{
    private readonly CacheStoreGuard _guard;
    private readonly ICacheStore _store;
    private readonly ILogger _logger;
    private readonly bool _required;
    private readonly object _gate = new();
    private long _failures;
    private long _readFailures;
    private long _writeFailures;
    private long _metadataFailures;
    private long _leaseFailures;
    private long _skipped;

    // Guarded by _gate; _unhealthy mirrors "anything failing" for a lock-free success path.
    private CacheCallKind _failingKinds;
    private CacheCallKind _warnedKinds;
    private bool _episodeWarned;
    private int _unhealthy;
    private int _fatal;
    private CacheStoreException? _fatalError;

    public CacheStoreHealth(CacheStoreGuard guard, ILogger logger, bool required)
    {
        _guard = guard;
        _store = guard.Store;
        _logger = logger;
        _required = required;
    }

    /// <summary>The store's leases, when it offers them (<see cref="ICacheLeaseStore"/>); null otherwise.</summary>
    public ICacheLeaseStore? Leases => _store as ICacheLeaseStore;

    /// <summary>Failed store calls in this run.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>True once a failure has ended the run because the cache is required.</summary>
    public bool FailedFatally => Volatile.Read(ref _fatal) != 0;

    /// <summary>Throws the failure that ended the run (a required store failed, in a write behind, say), if there was one.</summary>
    public void ThrowIfFailedFatally()
    {
        if (Volatile.Read(ref _fatalError) is { } error)
        {
            throw error;
        }
    }

    private CacheStoreException Fatal(CacheStoreException failure)
    {
        var required = failure.AsRequired();
        Interlocked.CompareExchange(ref _fatalError, required, null);
        Volatile.Write(ref _fatal, 1);
        return required;
    }

    /// <summary>
    /// Runs a store call of the given kind; on failure returns <paramref name="fallback"/> (or, when
    /// the cache is required, throws a <see cref="CacheStoreException"/> that says so).
    /// </summary>
    public async Task<T> CallAsync<T>(CacheCallKind kind, Func<ICacheStore, CancellationToken, Task<T>> call, T fallback, CancellationToken cancellationToken)
    {
        T result;
        try
        {
            result = await _guard.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheStoreCutOffException cutOff)
        {
            Interlocked.Increment(ref _skipped);
            if (_required)
            {
                throw Fatal(new CacheStoreException(_store.Description, CacheStoreFailure.Unreachable, "is cut off after a failure", innerException: cutOff));
            }

            return fallback;
        }
        catch (CacheStoreException failure)
        {
            RecordFailure(kind, failure);
            if (_required)
            {
                throw Fatal(failure);
            }

            return fallback;
        }

        if (Volatile.Read(ref _unhealthy) != 0)
        {
            RecordSuccess(kind);
        }

        return result;
    }

    public Task CallAsync(CacheCallKind kind, Func<ICacheStore, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(kind, async (store, ct) =>
        {
            await call(store, ct).ConfigureAwait(false);
            return true;
        }, false, cancellationToken);

    /// <summary>
    /// Runs a store call that must not fail the run even when the cache is required (the
    /// bookkeeping after a run, when the output is already published): a failure is counted and
    /// warned like any other, never thrown.
    /// </summary>
    public Task TryCallAsync(CacheCallKind kind, Func<ICacheStore, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        TryCallAsync(kind, async (store, ct) =>
        {
            await call(store, ct).ConfigureAwait(false);
            return true;
        }, false, cancellationToken);

    /// <summary>
    /// Runs a store call that must not fail the run even when the cache is required (renewing or
    /// releasing a lease, the bookkeeping after a run): on failure returns <paramref name="fallback"/>,
    /// counted and warned like any other failure, never thrown. Only the cancellation of
    /// <paramref name="cancellationToken"/> passes through.
    /// </summary>
    public async Task<T> TryCallAsync<T>(CacheCallKind kind, Func<ICacheStore, CancellationToken, Task<T>> call, T fallback, CancellationToken cancellationToken)
    {
        T result;
        try
        {
            result = await _guard.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheStoreCutOffException)
        {
            Interlocked.Increment(ref _skipped);
            return fallback;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            RecordFailure(kind, CacheStoreException.From(_store.Description, ex));
            return fallback;
        }

        if (Volatile.Read(ref _unhealthy) != 0)
        {
            RecordSuccess(kind);
        }

        return result;
    }

    /// <summary>
    /// Logs how many store calls failed in the run, if any did. Only a run that completed may say
    /// its output is complete; a run that ended otherwise gets the count alone, and a run ended by
    /// a required store's failure nothing (its error said it all).
    /// </summary>
    public void ReportFailures(string pipeline, RunStatus? status)
    {
        var failures = Failures + Interlocked.Read(ref _skipped);
        if (failures == 0 || FailedFatally)
        {
            return;
        }

        var kinds = DescribeCounts();
        if (status == RunStatus.Completed)
        {
            CacheLog.StoreFailures(_logger, pipeline, _store.Description, failures, kinds);
        }
        else
        {
            CacheLog.StoreFailuresInUnfinishedRun(_logger, pipeline, _store.Description, failures, kinds);
        }
    }

    private void RecordFailure(CacheCallKind kind, CacheStoreException failure)
    {
        Interlocked.Increment(ref _failures);
        switch (kind)
        {
            case CacheCallKind.Reads:
                Interlocked.Increment(ref _readFailures);
                break;
            case CacheCallKind.Writes:
                Interlocked.Increment(ref _writeFailures);
                break;
            case CacheCallKind.Leases:
                Interlocked.Increment(ref _leaseFailures);
                break;
            default:
                Interlocked.Increment(ref _metadataFailures);
                break;
        }

        CacheLog.StoreFailureDetail(_logger, _store.Description, failure);
        if (_required)
        {
            return; // the run ends with this failure's own message
        }

        if (failure.IsWholeStore)
        {
            return; // the guard cut the store off and warned, once per outage
        }

        bool warn;
        lock (_gate)
        {
            var wasHealthy = _failingKinds == CacheCallKind.None;
            _failingKinds |= kind;
            warn = wasHealthy && (_warnedKinds & kind) == 0;
            _warnedKinds |= warn ? kind : CacheCallKind.None;
            if (wasHealthy)
            {
                _episodeWarned = warn;
            }

            Volatile.Write(ref _unhealthy, 1);
        }

        if (warn)
        {
            CacheLog.StoreFailed(_logger, CallsOf(kind), _store.Description, failure.Cause);
        }
    }

    private void RecordSuccess(CacheCallKind kind)
    {
        bool recovered;
        lock (_gate)
        {
            if ((_failingKinds & kind) == 0)
            {
                return; // this kind never failed: it says nothing about those that do
            }

            // A kind that failed on its own recovers only by succeeding itself.
            _failingKinds &= ~kind;
            recovered = _failingKinds == CacheCallKind.None;
            if (recovered)
            {
                Volatile.Write(ref _unhealthy, 0);
                recovered = _episodeWarned;
                _episodeWarned = false;
            }
        }

        if (recovered)
        {
            CacheLog.StoreRecovered(_logger, _store.Description, Failures);
        }
    }

    private static string CallsOf(CacheCallKind kind) => kind switch
    {
        CacheCallKind.Reads => "reads from",
        CacheCallKind.Writes => "writes to",
        CacheCallKind.Leases => "lease calls to",
        _ => "metadata calls to",
    };

    private string DescribeCounts()
    {
        var parts = new List<string>(5);
        Add(parts, Interlocked.Read(ref _readFailures), "reads");
        Add(parts, Interlocked.Read(ref _writeFailures), "writes");
        Add(parts, Interlocked.Read(ref _metadataFailures), "metadata");
        Add(parts, Interlocked.Read(ref _leaseFailures), "leases");
        Add(parts, Interlocked.Read(ref _skipped), "skipped while the store was cut off");
        return string.Join(", ", parts);

        static void Add(List<string> parts, long count, string what)
        {
            if (count > 0)
            {
                parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what}: {count}"));
            }
        }
    }
}
