using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Flow.Caching;

/// <summary>
/// The circuit breaker in front of one cache store, for the life of the process. The first call
/// that finds the whole store failing (down, not answering within its timeout, refusing the
/// credentials) opens the circuit: from then on no call is attempted, each fails at once, and a
/// probe in the background tries the store every <see cref="ProbeInterval"/>; the first probe that
/// succeeds closes the circuit. So a store that hangs costs a run one timeout, not one per batch,
/// and caching resumes by itself when the store comes back.
/// </summary>
/// <remarks>
/// Polly's breaker (Polly.Core) with manual control: Polly's own opening rule counts failures over a
/// sampling window, which would let a lone sequential caller wait two timeouts; the circuit is
/// isolated at the first whole-store failure instead, and its half-open probe is ours, in the
/// background, so no batch ever waits on a probe.
/// </remarks>
internal sealed class CacheStoreGuard : IAsyncDisposable
{
    /// <summary>How often a cut-off store is tried again.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    private const string ProbeName = "flow-probe";

    private readonly ILogger _logger;
    private readonly CircuitBreakerManualControl _control = new();
    private readonly ResiliencePipeline _pipeline;
    private readonly CancellationTokenSource _disposed = new();
    private readonly object _gate = new();
    private Task? _probe;
    private long _skipped;

    public CacheStoreGuard(ICacheStore store, ILogger logger)
    {
        Store = store;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ManualControl = _control,
                ShouldHandle = new PredicateBuilder().Handle<CacheStoreException>(e => e.IsWholeStore),
                BreakDuration = TimeSpan.FromDays(1), // closed by the probe, never half-opened by a batch's call
                MinimumThroughput = 2,
                FailureRatio = 0.5,
                SamplingDuration = TimeSpan.FromSeconds(30),
            })
            .Build();
    }

    public ICacheStore Store { get; }

    /// <summary>Whether calls are cut off (the store failed and no probe has succeeded since).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _probe is not null;
            }
        }
    }

    /// <summary>Calls that were not attempted because the circuit was open, over the process's life.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>
    /// Runs <paramref name="call"/> on the store. Throws <see cref="CacheStoreException"/> when it
    /// fails, and <see cref="CacheStoreCutOffException"/>, at once, while the circuit is open.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<ICacheStore, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, ct) => await state.call(state.store, ct).ConfigureAwait(false),
                (call, store: Store),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BrokenCircuitException or IsolatedCircuitException)
        {
            Interlocked.Increment(ref _skipped);
            throw new CacheStoreCutOffException(Store.Description);
        }
        catch (Exception ex) when (ex is not CacheEntryUnusableException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var failure = CacheStoreException.From(Store.Description, ex);
            if (failure.IsWholeStore)
            {
                await OpenAsync(failure).ConfigureAwait(false);
            }

            throw failure;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        Task? probe;
        lock (_gate)
        {
            probe = _probe;
        }

        if (probe is not null)
        {
            await probe.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    private async Task OpenAsync(CacheStoreException failure)
    {
        lock (_gate)
        {
            if (_probe is not null || _disposed.IsCancellationRequested)
            {
                return; // already cut off: one warning per outage
            }

            _probe = Task.Run(() => ProbeUntilBackAsync(_disposed.Token));
        }

        CacheLog.StoreCutOff(_logger, Store.Description, failure.Reason, (long)ProbeInterval.TotalSeconds);
        await _control.IsolateAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task ProbeUntilBackAsync(CancellationToken cancellationToken)
    {
        var attempts = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
                attempts++;
                _ = await Store.GetMetadataAsync(ProbeName, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                CacheLog.StoreFailureDetail(_logger, Store.Description, ex);
                continue;
            }

            // Told, and the circuit closed, before the guard says it is no longer cut off: whoever
            // sees IsOpen turn false finds calls going through and the recovery logged. (A call that
            // fails in between is not cut off: the probe still counts as running. Harmless: the
            // next failure after this cuts the store off again.)
            CacheLog.StoreBack(_logger, Store.Description, attempts, Skipped);
            await _control.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                _probe = null;
            }

            return;
        }
    }
}
