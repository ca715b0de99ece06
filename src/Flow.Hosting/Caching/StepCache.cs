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
        var last = PipelineSignatures.TryRead(await health.CallAsync(
            (s, ct) => s.GetMetadataAsync(PipelineSignatures.MetadataName(plan.Name), ct), null, cancellationToken).ConfigureAwait(false));
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

        public async ValueTask DisposeAsync()
        {
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
            await _scope.Health.CallAsync((store, ct) => store.SetMetadataAsync(PipelineSignatures.MetadataName(_plan.Name), document.ToBytes(), ct), CancellationToken.None).ConfigureAwait(false);

            if (_owner._stores.MaxBytes is { } maxBytes)
            {
                await _scope.Health.CallAsync(async (store, ct) => await store.CollectGarbageAsync(maxBytes, ct).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
            }

            _scope.Health.ReportFailures(_plan.Name);
        }
    }
}
