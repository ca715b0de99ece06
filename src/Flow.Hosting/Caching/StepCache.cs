using Flow.Caching;
using Flow.Execution;
using Flow.Hosting.Running;
using Flow.Pipelines;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Caching;

/// <summary>
/// Puts the caching decorator around every step of a run. Lookups follow <c>Flow:Cache:Enabled</c>
/// and each step's <c>UseCache</c>; results are written back either way (a refresh). After the run
/// the pipeline's signatures are saved for <c>flow cache explain</c>, and a bounded File store is
/// trimmed to <c>Flow:Cache:MaxSize</c>.
/// </summary>
/// <remarks>
/// That bookkeeping after the run never throws, even with <c>Flow:Cache:Required</c>: the run's
/// outcome is decided and its output published by then, so a failing store there is counted and
/// warned like any other failure. After a run that a required store ended, it is skipped.
/// </remarks>
internal sealed class StepCache : IStepDecorator
{
    private readonly CacheStoreProvider _stores;
    private readonly ILogger _logger;

    public StepCache(CacheStoreProvider stores, ILogger<StepCache> logger)
    {
        _stores = stores;
        _logger = logger;
    }

    public async Task<IStepDecoration> CreateAsync(PipelinePlan plan, CancellationToken cancellationToken)
    {
        var options = _stores.Options;
        var store = await _stores.GetAsync(cancellationToken).ConfigureAwait(false);
        var health = new CacheStoreHealth(store, _logger, options.Required);
        byte[]? record;
        string? problem;
        try
        {
            record = await health.CallAsync(CacheCallKind.Metadata,
                (s, ct) => s.GetMetadataAsync(PipelineSignatures.MetadataName(plan.Name), ct), null, cancellationToken).ConfigureAwait(false);
            problem = null;
        }
        catch (CacheEntryUnusableException ex)
        {
            record = null;
            problem = ex.Reason;
        }

        var last = PipelineSignatures.TryRead(record, out var unreadable);
        if ((problem ?? unreadable) is { } reason)
        {
            CacheLog.BadRunRecord(_logger, plan.Name, store.Description, reason);
        }

        var settings = new CacheSettings { Lookups = options.Enabled, TimeToLive = options.Ttl, Required = options.Required };
        var scope = new StepCacheScope(plan.Name, health, _stores.CreateCodec(), settings, TimeProvider.System, _logger);
        return new Decoration(this, plan, scope, last);
    }

    private sealed class Decoration : IStepDecoration
    {
        private readonly StepCache _owner;
        private readonly PipelinePlan _plan;
        private readonly StepCacheScope _scope;
        private readonly PipelineSignatures? _last;
        private readonly Dictionary<string, (StepSignature Signature, StepProcessor Step)> _steps = new(StringComparer.Ordinal);
        private RunStatus? _status;

        public Decoration(StepCache owner, PipelinePlan plan, StepCacheScope scope, PipelineSignatures? last)
        {
            _owner = owner;
            _plan = plan;
            _scope = scope;
            _last = last;
        }

        public IBatchProcessor Decorate(PlannedNode node, StepProcessor step, NodeStats stats)
        {
            var signature = StepSignature.For(node);
            _steps[node.Name] = (signature, step);
            var previousAverage = _last is not null && _last.Steps.TryGetValue(node.Name, out var before) && before.Hash == signature.Hash
                ? before.AverageBatchTime
                : TimeSpan.Zero;
            var lookups = _scope.Settings.Lookups && node.Definition.UseCache;
            return new CachingProcessor(step, _scope, node.Name, signature, lookups, node.Definition.CacheTtl, stats, previousAverage);
        }

        public void OnPipelineEnded(PipelineResult result) => _status = result.Status;

        public async ValueTask DisposeAsync()
        {
            if (_scope.Health.FailedFatally)
            {
                return; // the required store failed and ended the run: its error said everything
            }

            var steps = _steps.ToDictionary(
                s => s.Key,
                s =>
                {
                    var average = s.Value.Step.AverageComputeTime;
                    if (average == TimeSpan.Zero && _last is not null && _last.Steps.TryGetValue(s.Key, out var before) && before.Hash == s.Value.Signature.Hash)
                    {
                        average = before.AverageBatchTime; // all hits this time: keep what the last computing run measured
                    }

                    return new PipelineSignatures.StepRecord(s.Value.Signature.Hash, s.Value.Signature.Json, average);
                },
                StringComparer.Ordinal);
            var document = new PipelineSignatures(_plan.Name, _scope.Time.GetUtcNow(), steps);
            await _scope.Health.TryCallAsync(CacheCallKind.Metadata, (store, ct) => store.SetMetadataAsync(PipelineSignatures.MetadataName(_plan.Name), document.ToBytes(), ct), CancellationToken.None).ConfigureAwait(false);

            if (_owner._stores.MaxBytes is { } maxBytes)
            {
                await _scope.Health.TryCallAsync(CacheCallKind.Writes, async (store, ct) => await store.CollectGarbageAsync(maxBytes, ct).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
            }

            _scope.Health.ReportFailures(_plan.Name, _status);
        }
    }
}
