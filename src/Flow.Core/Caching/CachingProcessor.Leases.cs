using System.Diagnostics;
using Flow.Batches;
using Flow.Execution;

namespace Flow.Caching;

/// <summary>
/// Single-flight across workers: with a store that offers leases (<see cref="ICacheLeaseStore"/>),
/// a worker that misses a batch takes the batch's lease before it runs the step, and a worker that
/// finds the lease taken waits for the holder's entry instead of computing the batch too.
/// </summary>
/// <remarks>
/// <para>The rules, in the order a missed batch meets them:</para>
/// <list type="number">
/// <item>A lease is tried only with a lease slot in hand: one per compute slot (the step's
/// parallelism) and one more, for the batch next in line. A worker holds leases only on the batches
/// it is computing and on the next one, never on the rest queued behind them; the next batch's
/// lease and second lookup (two store round trips) are taken while the step computes the one
/// before, not between the two.</item>
/// <item>Got it: the entry is looked up again first (the previous holder may have written it since
/// this worker's lookup: then it is replayed, counted as waited), otherwise the batch waits for a
/// compute slot and the step runs while the lease is renewed, and the lease is released after the
/// entry's write (<see cref="ComputeAsync"/>).</item>
/// <item>Taken by another worker: the slot is given back, so this worker computes later batches
/// meanwhile, and the entry is polled (20 ms growing to 200 ms, with jitter). It is replayed when it
/// appears; between polls the lease is tried again, so a lease that lapsed (its holder died) or was
/// released without an entry (its step threw) is taken over and the batch computed here.</item>
/// <item>The lease cannot be taken or read (store trouble, the store cut off): the batch is computed
/// here without one. Content-addressed results make a second computation safe, never wrong.</item>
/// <item>Waiting is bounded: it ends with the run's abort, and after <see cref="MaxWaitLives"/> lease
/// lives (a holder that keeps renewing but never finishes) the batch is computed here.</item>
/// </list>
/// </remarks>
internal sealed partial class CachingProcessor
{
    /// <summary>A waiter gives up and computes the batch itself after this many lease lives.</summary>
    public const int MaxWaitLives = 10;

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(200);

    private readonly ICacheLeaseStore? _leases;
    private readonly SemaphoreSlim? _computeSlots;
    private readonly SemaphoreSlim? _leaseSlots;

    /// <summary>What a lease attempt found: the lease, another holder, or no answer from the store.</summary>
    private enum LeaseAnswer
    {
        Got,
        HeldElsewhere,
        Unavailable,
    }

    private async ValueTask<StepOutput> ComputeOnceAsync(Batch batch, CacheKey key, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var life = _scope.Settings.LeaseTime;
        var poll = FirstPoll;
        long? waitingSince = null;
        while (true)
        {
            if (waitingSince is { } since && _scope.Time.GetElapsedTime(since) >= life * MaxWaitLives)
            {
                CacheLog.GaveUpWaiting(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, (long)(life * MaxWaitLives).TotalSeconds);
                return await ComputeInSlotAsync(batch, key, lease: null, started, cancellationToken).ConfigureAwait(false);
            }

            await _leaseSlots!.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var (answer, lease) = await TryAcquireAsync(key, life, cancellationToken).ConfigureAwait(false);
                if (answer == LeaseAnswer.Unavailable)
                {
                    return await ComputeInSlotAsync(batch, key, lease: null, started, cancellationToken).ConfigureAwait(false);
                }

                if (answer == LeaseAnswer.Got)
                {
                    var held = new HeldLease(lease!, life, _scope.Health, _scope.Time, _scope.Logger, cancellationToken);
                    Batch? written;
                    try
                    {
                        // The worker that held the lease before may have written the entry since our lookup.
                        written = await TryReplayAsync(batch, key, cancellationToken, quiet: true).ConfigureAwait(false);
                    }
                    catch
                    {
                        await held.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }

                    if (written is not null)
                    {
                        await held.DisposeAsync().ConfigureAwait(false);
                        return Waited(batch, key, written, started);
                    }

                    if (waitingSince is not null)
                    {
                        CacheLog.TookOver(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString());
                    }

                    return await ComputeInSlotAsync(batch, key, held, started, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _leaseSlots.Release();
            }

            // Another worker computes it: wait for its entry, without a slot.
            if (waitingSince is null)
            {
                waitingSince = _scope.Time.GetTimestamp();
                CacheLog.Waiting(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString());
            }

            await Task.Delay(Jitter(poll), _scope.Time, cancellationToken).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(LastPoll.Ticks, poll.Ticks * 3 / 2));
            if (await TryReplayAsync(batch, key, cancellationToken, quiet: true).ConfigureAwait(false) is { } replayed)
            {
                return Waited(batch, key, replayed, started);
            }
        }
    }

    /// <summary>
    /// Runs the step on a missed batch within the step's parallelism. A lease it holds is released
    /// by <see cref="ComputeAsync"/>, or here when the run is aborted before a slot comes free; the
    /// slot is given back by <see cref="ComputeAsync"/> when the step returns.
    /// </summary>
    private async ValueTask<StepOutput> ComputeInSlotAsync(Batch batch, CacheKey key, HeldLease? lease, long started, CancellationToken cancellationToken)
    {
        try
        {
            await _computeSlots!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (lease is not null)
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return await ComputeAsync(batch, key, lease, Stopwatch.GetTimestamp() - started, cancellationToken, _computeSlots).ConfigureAwait(false);
    }

    /// <summary>Runs the step on a batch that has no key (its input cannot be cached), within the step's parallelism.</summary>
    private async ValueTask<StepOutput> ComputeUnkeyedAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (_computeSlots is null)
        {
            return await _step.ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        await _computeSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var idle = Stopwatch.GetTimestamp() - started;
            return await _step.ProcessAsync(batch, cancellationToken).ConfigureAwait(false) with { IdleTicks = idle };
        }
        finally
        {
            _computeSlots.Release();
        }
    }

    private async Task<(LeaseAnswer Answer, ICacheLease? Lease)> TryAcquireAsync(CacheKey key, TimeSpan life, CancellationToken cancellationToken)
    {
        // A failed call answers Unavailable (or, with Flow:Cache:Required, fails the run as any store failure does).
        return await _scope.Health.CallAsync(
            CacheCallKind.Leases,
            async (_, ct) =>
            {
                var lease = await _leases!.TryAcquireLeaseAsync(key, life, ct).ConfigureAwait(false);
                return (lease is null ? LeaseAnswer.HeldElsewhere : LeaseAnswer.Got, lease);
            },
            (LeaseAnswer.Unavailable, null),
            cancellationToken,
            CacheFailed).ConfigureAwait(false);
    }

    private StepOutput Waited(Batch batch, CacheKey key, Batch replayed, long started)
    {
        CacheLog.WaitedFor(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString());

        // Idle all along: the node's own work was a lookup or two, next to the wait.
        return new StepOutput(replayed, Replayed: true, ComputeTicks: 0, Waited: true, IdleTicks: Stopwatch.GetTimestamp() - started);
    }

    // Spreads the polls of workers that started waiting together: between half and all of the delay.
    private static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks(delay.Ticks / 2 + Random.Shared.NextInt64(delay.Ticks / 2 + 1));
}
