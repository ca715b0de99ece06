using System.Diagnostics;
using Flow.Batches;
using Flow.Execution;
using Flow.Serialization;
using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// The caching decorator of one step. For each batch: key = (step signature hash, hash of the input
/// batch's bytes); on a hit the cached output is replayed and the step is not called; on a miss the
/// step runs and its output (an empty one too) is written back. A batch whose step threw is never
/// written. A corrupt, foreign, stale or unusable entry (one the store cannot even read) is a logged
/// miss, and the fresh result replaces it.
/// </summary>
/// <remarks>
/// With a store that offers leases, a miss is computed once across the workers sharing the store
/// (<c>CachingProcessor.Leases.cs</c>).
/// </remarks>
internal sealed partial class CachingProcessor : ILookaheadProcessor
{
    private readonly StepProcessor _step;
    private readonly StepCacheScope _scope;
    private readonly string _stepName;
    private readonly string _signature;
    private readonly bool _readsPosition;
    private readonly bool _lookups;
    private readonly TimeSpan? _maxAge;
    private readonly NodeStats? _stats;

    public CachingProcessor(StepProcessor step, StepCacheScope scope, string stepName, StepSignature signature, bool lookups, TimeSpan? maxAge, int parallelism = 1, NodeStats? stats = null)
    {
        _stats = stats;
        _step = step;
        _scope = scope;
        _stepName = stepName;
        _signature = signature.Hash;
        _readsPosition = signature.ReadsPosition;
        _lookups = lookups;
        _maxAge = maxAge;

        // No lookups, no leases: a refresh computes every batch whoever else does.
        _leases = lookups ? scope.Health.Leases : null;
        _computeSlots = _leases is null ? null : new SemaphoreSlim(parallelism, parallelism);
        _leaseSlots = _leases is null ? null : new SemaphoreSlim(parallelism + 1, parallelism + 1);
    }

    /// <summary>Lookups run up to this many batches ahead of the step (they are I/O and decoding, not the step's work).</summary>
    public int Lookahead => _lookups ? 4 : 0;

    /// <summary>With leases, as many batches as the lookahead may wait for other workers while this one computes.</summary>
    public int Waiting => _leases is null ? 0 : Lookahead;

    public async ValueTask<StepOutput> ProcessAsync(Batch batch, CancellationToken cancellationToken) =>
        await FinishAsync(await PrepareAsync(batch, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Hashes the input and, with lookups on, fetches and decodes its cached output.</summary>
    public async ValueTask<PreparedBatch> PrepareAsync(Batch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        _scope.Health.ThrowIfFailedFatally();
        // The input is hashed before the step runs: a step may change the records it is given.
        if ((batch.Encoded ?? TrySerialize(batch, batch.Records)) is not { } input)
        {
            return new PreparedBatch(batch, null);
        }

        var key = new CacheKey(_signature, _readsPosition ? CacheHash.Of(input.Span, batch.Id) : CacheHash.Of(input.Span));
        var replayed = _lookups ? await TryReplayAsync(batch, key, cancellationToken).ConfigureAwait(false) : null;
        return new PreparedBatch(batch, new Lookup(key, replayed, Stopwatch.GetTimestamp() - started));
    }

    /// <summary>Replays a hit, or runs the step and hands its output to the write-behind.</summary>
    public async ValueTask<StepOutput> FinishAsync(PreparedBatch prepared, CancellationToken cancellationToken)
    {
        var batch = prepared.Input;
        if (prepared.State is not Lookup lookup)
        {
            return await ComputeUnkeyedAsync(batch, cancellationToken).ConfigureAwait(false); // uncacheable input
        }

        if (lookup.Replayed is { } replayed)
        {
            CacheLog.Hit(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, lookup.Key.ToString());
            return new StepOutput(replayed, Replayed: true, ComputeTicks: 0) { ReplayTicks = lookup.Ticks };
        }

        return _leases is null
            ? await ComputeAsync(batch, lookup.Key, lease: null, idleTicks: 0, cancellationToken).ConfigureAwait(false)
            : await ComputeOnceAsync(batch, lookup.Key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the step and hands its output to the write-behind. A lease held for the batch is
    /// released once the entry is in the store (so a worker waiting for it finds it), or at once when
    /// there is no entry to write (the step threw, the output cannot be cached). A compute slot is
    /// given back as soon as the step returns: serializing and encoding its output is the cache's
    /// work, and the next batch computes meanwhile.
    /// </summary>
    private async ValueTask<StepOutput> ComputeAsync(Batch batch, CacheKey key, HeldLease? lease, long idleTicks, CancellationToken cancellationToken, SemaphoreSlim? computeSlot = null)
    {
        var handedOver = false;
        try
        {
            StepOutput computed;
            try
            {
                computed = await _step.ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                computeSlot?.Release();
            }

            computed = computed with { IdleTicks = idleTicks };
            if (computed.Failures is { Count: > 0 } failures)
            {
                // Errors are never a result: a replay would serve the good records and lose the failed ones.
                CacheLog.NotCachedFailures(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, failures.Count);
                return computed;
            }

            var records = computed.Batch.Records;
            if (TrySerialize(batch, records) is not { } output)
            {
                return computed;
            }

            if (output.Length > CacheEntryCodec.MaxPayloadLength)
            {
                CacheLog.Uncacheable(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, $"its output is {output.Length} bytes, above the {CacheEntryCodec.MaxPayloadLength} bytes an entry may hold");
                return computed;
            }

            // The batch moves on while the store writes its entry (bounded: a full write-behind waits for room).
            var entry = _scope.Codec.Encode(output.Span, _scope.Time.GetUtcNow(), key);
            await _scope.Writes.EnqueueAsync(
                async () =>
                {
                    try
                    {
                        await _scope.Health.CallAsync(CacheCallKind.Writes, (store, ct) => store.SetAsync(key, entry, _scope.Settings.TimeToLive, ct), CancellationToken.None, CacheFailed).ConfigureAwait(false);
                    }
                    finally
                    {
                        // Write before release: a waiter that finds the lease free finds the entry too.
                        if (lease is not null)
                        {
                            await lease.DisposeAsync().ConfigureAwait(false);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);
            handedOver = true;
            CacheLog.Miss(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString());
            return computed with { Batch = computed.Batch.With(records, output) };
        }
        finally
        {
            if (!handedOver && lease is not null)
            {
                await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Looks the batch's entry up and decodes it; null for a miss. With <paramref name="quiet"/> (the
    /// lookups after the first, while waiting), nothing is logged: the first one said what was wrong.
    /// </summary>
    private async Task<Batch?> TryReplayAsync(Batch batch, CacheKey key, CancellationToken cancellationToken, bool quiet = false)
    {
        byte[]? entry;
        try
        {
            entry = await _scope.Health.CallAsync(CacheCallKind.Reads, (store, ct) => store.GetAsync(key, ct), null, cancellationToken, CacheFailed).ConfigureAwait(false);
        }
        catch (CacheEntryUnusableException ex)
        {
            // The entry's own problem (a folder in its place, a file that cannot be opened): a
            // logged miss, and the write after the step replaces it. The store itself is fine.
            if (!quiet)
            {
                CacheLog.BadEntry(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString(), ex.Reason);
            }

            return null;
        }

        if (entry is null)
        {
            return null;
        }

        if (!_scope.Codec.TryDecode(key, entry, out var payload, out var createdAt, out var error))
        {
            if (quiet)
            {
                return null;
            }

            CacheLog.BadEntry(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString(), error ?? "unreadable");
            return null;
        }

        if (_maxAge is { } maxAge && _scope.Time.GetUtcNow() - createdAt > maxAge)
        {
            if (quiet)
            {
                return null;
            }

            CacheLog.Stale(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString());
            return null;
        }

        try
        {
            return batch.With(BatchSerializer.Deserialize(payload), payload);
        }
        catch (FormatException ex)
        {
            // The checksum matched, so this is a writer bug or a format change: still a miss, never wrong output.
            CacheLog.BadEntry(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, key.ToString(), ex.Message);
            return null;
        }
    }

    /// <summary>
    /// The records' bytes, or null for records the format cannot hold (a string with a lone UTF-16
    /// surrogate, nesting deeper than 64): such a batch runs uncached rather than be altered.
    /// </summary>
    /// <remarks>
    /// Output is always serialized afresh: a step may return its input list with the records
    /// changed in place, so the input's bytes say nothing about it.
    /// </remarks>
    private ReadOnlyMemory<byte>? TrySerialize(Batch batch, IReadOnlyList<Record> records)
    {
        try
        {
            return BatchSerializer.Serialize(records);
        }
        catch (ArgumentException ex)
        {
            CacheLog.Uncacheable(_scope.Logger, _scope.Pipeline, _stepName, batch.Id.Index, ex.Message);
            return null;
        }
    }

    private void CacheFailed() => _stats?.AddCacheError();

    /// <param name="Key">The batch's key.</param>
    /// <param name="Replayed">The cached output, or null for a miss.</param>
    /// <param name="Ticks">Stopwatch ticks the lookup took (hashing included): a hit's replay time.</param>
    private sealed record Lookup(CacheKey Key, Batch? Replayed, long Ticks);
}
