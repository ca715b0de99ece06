using Flow.Caching;
using Flow.Pipelines;
using Microsoft.Extensions.Logging;

namespace Flow.Execution;

/// <summary>
/// Runs planned pipelines: takes the nodes of a run from the plan, opens the step cache for it (when
/// there is one), runs the graph, and closes both, whatever happened.
/// </summary>
internal sealed class PipelineRunner
{
    private readonly ILogger _logger;
    private readonly RunnerOptions _options;
    private readonly StepCache? _cache;
    private readonly LiveRuns? _live;

    public PipelineRunner(ILogger logger, RunnerOptions? options = null, StepCache? cache = null, LiveRuns? live = null)
    {
        _live = live;
        _logger = logger;
        _options = options ?? new RunnerOptions();
        _cache = cache;
    }

    /// <summary>
    /// Runs a pipeline to its end. <paramref name="stop"/> is a graceful stop: sources stop reading,
    /// in-flight batches drain (for at most <see cref="RunnerOptions.DrainTimeout"/>), the run ends
    /// <see cref="RunStatus.Interrupted"/>. Never throws for what goes wrong in the run: the result says it.
    /// </summary>
    public async Task<PipelineResult> RunAsync(PipelinePlan plan, CancellationToken stop)
    {
        RunNodes nodes;
        try
        {
            nodes = await plan.TakeNodesAsync(stop).ConfigureAwait(false);
        }
        catch (FlowConfigurationException ex)
        {
            return NotStarted(plan, RunStatus.Failed, new InvalidOperationException($"pipeline '{plan.Name}' cannot start: {ex.Message}", ex));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return NotStarted(plan, RunStatus.Interrupted, null);
        }

        StepCacheRun? cache = null;
        try
        {
            cache = _cache is null ? null : await _cache.BeginAsync(plan, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CacheStoreException or OperationCanceledException)
        {
            await nodes.DisposeAsync().ConfigureAwait(false);
            return ex is OperationCanceledException
                ? NotStarted(plan, RunStatus.Interrupted, null)
                : NotStarted(plan, RunStatus.Failed, ex);
        }

        var run = new PipelineRun(plan, nodes, _logger, _options, cache, stop);
        var live = _live?.Started(plan, run.Stats, cache is null ? null : () => cache.RequiredStoreUnavailable);
        PipelineResult result;
        try
        {
            result = await run.RunAsync().ConfigureAwait(false);
        }
        catch
        {
            live?.Ended(RunStatus.Failed);
            throw;
        }

        live?.Ended(result.Status);
        if (cache is not null)
        {
            await cache.EndAsync(result).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>A run that ended before its graph started (its nodes or its cache could not be had).</summary>
    private PipelineResult NotStarted(PipelinePlan plan, RunStatus status, Exception? error)
    {
        if (error is not null)
        {
            RunnerLog.PipelineFailed(_logger, plan.Name, error.Message);
            RunnerLog.FailureDetail(_logger, error, plan.Name);
        }

        var stats = plan.Nodes.Select(n => new NodeStats(plan.Name, n.Name, n.Kind, n.Definition.Type)).ToList();
        return new PipelineResult(plan.Name, status, TimeSpan.Zero, stats, error);
    }
}
