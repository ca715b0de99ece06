namespace Flow.Caching;

/// <summary>
/// A lease this worker holds on one batch while it computes it: renewed every third of its life
/// in the background, released by <see cref="DisposeAsync"/> (after the batch's entry is written,
/// or when there is none to write). Store trouble never reaches the batch: a renewal that fails is
/// counted and tried again at the next third; a lease found lost is no longer renewed, and the batch
/// is computed and written all the same (a second computation elsewhere is safe).
/// </summary>
/// <remarks>
/// The run's abort releases it too, at once: a step that ignores its cancellation token is abandoned
/// by the run, and its lease must not be renewed on its behalf for as long as it hangs (another
/// worker takes the batch over instead).
/// </remarks>
internal sealed class HeldLease : IAsyncDisposable
{
    private readonly ICacheLease _lease;
    private readonly CacheStoreHealth _health;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewals;
    private readonly CancellationTokenRegistration _abort;
    private int _released;

    public HeldLease(ICacheLease lease, TimeSpan life, CacheStoreHealth health, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger, CancellationToken abort)
    {
        _lease = lease;
        _health = health;
        _logger = logger;
        _renewals = RenewAsync(life, time, _stop.Token);
        _abort = abort.UnsafeRegister(static state => _ = ((HeldLease)state!).DisposeAsync().AsTask(), this);
    }

    /// <summary>True once a renewal found the lease lapsed or taken over.</summary>
    public bool Lost { get; private set; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        // Unregister, not Dispose: this may run inside the abort's own callback.
        _abort.Unregister();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewals.ConfigureAwait(false);
        _stop.Dispose();

        // A release that fails leaves the lease to lapse on its own.
        await _health.TryCallAsync(CacheCallKind.Leases, async (_, _) => await _lease.DisposeAsync().ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RenewAsync(TimeSpan life, TimeProvider time, CancellationToken cancellationToken)
    {
        var interval = life / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);

                // A renewal that fails says nothing about the lease: assume it holds, and try again.
                if (!await _health.TryCallAsync(CacheCallKind.Leases, (_, ct) => _lease.RenewAsync(life, ct), true, cancellationToken).ConfigureAwait(false))
                {
                    Lost = true;
                    CacheLog.LeaseLost(_logger, _lease.Key.ToString());
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Released.
        }
    }
}
