using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Caching;

/// <summary>
/// The step cache during one run: the caching decorator of each step, the writes still in flight,
/// and the bookkeeping at the end (the run's signatures for <c>flow cache explain</c>, each step's
/// average batch time for the "saved" estimate of later runs, the size bound).
/// </summary>
/// <remarks>
/// The bookkeeping at the end never throws, even with <c>Flow:Cache:Required</c>: the run's outcome
/// is decided and its output published by then. After a run that a required store ended, it is skipped.
/// </remarks>
internal sealed class StepCacheRun
{
    private readonly PipelinePlan _plan;
    private readonly StepCacheScope _scope;
    private readonly PipelineSignatures? _last;
    private readonly long? _maxBytes;
    private readonly Dictionary<string, StepSignature> _signatures = new(StringComparer.Ordinal);

    public StepCacheRun(PipelinePlan plan, StepCacheScope scope, PipelineSignatures? last, long? maxBytes)
    {
        _plan = plan;
        _scope = scope;
        _last = last;
        _maxBytes = maxBytes;
    }

    /// <summary>Wraps one step of the run in its caching decorator.</summary>
    public IBatchProcessor Decorate(NodeInstance node, StepProcessor step, NodeStats stats)
    {
        var signature = StepSignature.For(node);
        lock (_signatures)
        {
            _signatures[node.Name] = signature;
        }

        var before = _last is not null && _last.Steps.TryGetValue(node.Name, out var record) && record.Hash == signature.Hash ? record : null;
        if (before is not null)
        {
            stats.PreviousAverage = before.AverageBatchTime;
            stats.PreviousReplay = before.AverageReplayTime;
        }

        // A refresh (no lookups) writes every step's results; otherwise a step cheaper to compute than to replay runs uncached.
        if (_scope.Settings.Lookups && CacheWorth.NotWorthIt(node.Node.Definition, before) is { } reason)
        {
            stats.NotCached = reason;
            CacheLog.NotWorthCaching(_scope.Logger, _plan.Name, node.Name, reason);
            return step;
        }

        var lookups = _scope.Settings.Lookups && node.Node.Definition.UseCache;
        return new CachingProcessor(step, _scope, node.Name, signature, lookups, node.Node.Definition.CacheTtl, node.Node.Definition.Parallelism, stats);
    }

    /// <summary>True when the cache is required and its store cannot serve the run: failed for good, or cut off after a failure.</summary>
    public bool RequiredStoreUnavailable => _scope.Health.RequiredStoreUnavailable;

    /// <summary>
    /// Waits for the entries still being written. Called before the run publishes its outputs, so a
    /// required store that failed in a write fails the run rather than pass unnoticed.
    /// </summary>
    /// <exception cref="CacheStoreException">A required store failed.</exception>
    public async Task FlushAsync()
    {
        await _scope.Writes.FlushAsync().ConfigureAwait(false);
        _scope.Health.ThrowIfFailedFatally();
    }

    /// <summary>Records the run (signatures, average batch times), trims a bounded store, reports store failures.</summary>
    public async Task EndAsync(PipelineResult result)
    {
        await _scope.Writes.FlushAsync().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        if (_scope.Health.FailedFatally)
        {
            return; // the required store failed and ended the run: its error said everything
        }

        Dictionary<string, PipelineSignatures.StepRecord> steps;
        lock (_signatures)
        {
            steps = _signatures.ToDictionary(
                s => s.Key,
                s =>
                {
                    var node = result.Nodes.Single(n => n.Name == s.Key);
                    return new PipelineSignatures.StepRecord(s.Value.Hash, s.Value.Json, node.AverageCompute, node.AverageReplay);
                },
                StringComparer.Ordinal);
        }

        var document = new PipelineSignatures(_plan.Name, _scope.Time.GetUtcNow(), steps);
        await _scope.Health.TryCallAsync(CacheCallKind.Metadata, (store, ct) => store.SetMetadataAsync(PipelineSignatures.MetadataName(_plan.Name), document.ToBytes(), ct), CancellationToken.None).ConfigureAwait(false);

        if (_maxBytes is { } maxBytes)
        {
            await _scope.Health.TryCallAsync(CacheCallKind.Writes, async (store, ct) => await store.CollectGarbageAsync(maxBytes, ct).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
        }

        _scope.Health.ReportFailures(_plan.Name, result.Status);
    }
}
