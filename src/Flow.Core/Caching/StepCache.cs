using Flow.Execution;
using Flow.Pipelines;
using Microsoft.Extensions.Logging;

namespace Flow.Caching;

/// <summary>
/// The step cache of a process: for each run, reads what the store remembers of the pipeline's
/// last run and hands out the caching decorator of every step (<see cref="StepCacheRun"/>).
/// </summary>
internal sealed class StepCache
{
    private readonly CacheStoreProvider _stores;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public StepCache(CacheStoreProvider stores, ILogger logger, TimeProvider? time = null)
    {
        _stores = stores;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public CacheStoreProvider Stores => _stores;

    /// <summary>Opens the cache for one run of <paramref name="plan"/>.</summary>
    /// <exception cref="CacheStoreException">The store cannot be made, or fails, and <c>Flow:Cache:Required</c> is true.</exception>
    public async Task<StepCacheRun> BeginAsync(PipelinePlan plan, CancellationToken cancellationToken)
    {
        var options = _stores.Options;
        var guard = await _stores.GetAsync(cancellationToken).ConfigureAwait(false);
        var health = new CacheStoreHealth(guard, _logger, options.Required);
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
            CacheLog.BadRunRecord(_logger, plan.Name, guard.Store.Description, reason);
        }

        var settings = new CacheSettings { Lookups = options.Enabled, TimeToLive = options.Ttl, Required = options.Required, LeaseTime = options.LeaseTime };
        var scope = new StepCacheScope(plan.Name, health, new CacheWriteBehind(), _stores.CreateCodec(), settings, _time, _logger);
        return new StepCacheRun(plan, scope, last, _stores.MaxBytes);
    }
}
