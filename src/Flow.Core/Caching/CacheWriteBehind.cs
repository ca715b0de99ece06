namespace Flow.Caching;

/// <summary>
/// Writes of computed batches that do not hold the batch up: a miss hands its entry over and the
/// batch moves on while the store writes it. At most <see cref="Capacity"/> writes are in flight;
/// a miss finding none free waits for one (so a slow store slows the run rather than filling the
/// memory). <see cref="FlushAsync"/> waits for every write before the run publishes its outputs.
/// </summary>
/// <remarks>
/// A process killed with writes in flight loses those entries: the next run computes those batches
/// again, like the batches that were in flight in the steps.
/// </remarks>
internal sealed class CacheWriteBehind
{
    public const int Capacity = 16;

    private readonly SemaphoreSlim _slots = new(Capacity, Capacity);
    private readonly object _gate = new();
    private readonly HashSet<Task> _pending = new();

    /// <summary>Starts <paramref name="write"/> once a slot is free. The write must not throw (it reports through the store's health).</summary>
    public async ValueTask EnqueueAsync(Func<Task> write, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task task;
        try
        {
            task = write();
        }
        catch
        {
            _slots.Release();
            throw;
        }

        lock (_gate)
        {
            _pending.Add(task);
        }

        _ = task.ContinueWith(
            (done, state) =>
            {
                var self = (CacheWriteBehind)state!;
                lock (self._gate)
                {
                    self._pending.Remove(done);
                }

                self._slots.Release();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits for every write started so far.</summary>
    public async Task FlushAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }
}
