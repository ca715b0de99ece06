using Flow.Caching;
using Flow.Execution;
using Flow.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flow.Hosting.Running;

/// <summary>
/// Runs this host's pipelines with its step cache: the public <see cref="IPipelineRunner"/>, and what
/// the worker uses to run the selected pipelines side by side.
/// </summary>
internal sealed class FlowPipelineRunner : IPipelineRunner
{
    private readonly FlowCatalog _catalog;
    private readonly PipelineRunner _runner;

    public FlowPipelineRunner(FlowCatalog catalog, IOptions<FlowOptions> options, StepCache cache, ILoggerFactory loggerFactory, LiveRuns live)
    {
        _catalog = catalog;
        var flow = options.Value;
        _runner = new PipelineRunner(
            loggerFactory.CreateLogger("Flow"),
            new RunnerOptions
            {
                DrainTimeout = flow.DrainTimeout,
                AbortGrace = flow.AbortGrace,
                ProgressInterval = flow.ProgressInterval,
                PublishJournalDirectory = Path.GetFullPath(Path.Combine(".flow", "publish")),
            },
            cache.Stores.IsNone ? null : cache, // Flow:Cache:Store=None: no decorator, nothing read or written
            live);
    }

    public IReadOnlyList<string> Pipelines => _catalog.Names;

    public async Task<PipelineRunResult> RunAsync(string pipeline, CancellationToken stop = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pipeline);
        var planned = await _catalog.PlanAsync(pipeline, stop).ConfigureAwait(false);
        if (!planned.IsValid)
        {
            throw new FlowConfigurationException(planned.Errors);
        }

        return ToPublic(await RunPlanAsync(planned.Plans[0], stop).ConfigureAwait(false));
    }

    /// <summary>Runs one planned pipeline (the worker's way in, which keeps the internal result for its report).</summary>
    public Task<PipelineResult> RunPlanAsync(PipelinePlan plan, CancellationToken stop) => _runner.RunAsync(plan, stop);

    private static PipelineRunResult ToPublic(PipelineResult result) => new(
        result.Pipeline,
        result.Status,
        result.Elapsed,
        result.Nodes.Select(n => new NodeRunResult(n.Name, n.Kind, n.Type, n.Batches, n.Hits, n.Misses, n.RecordsIn, n.RecordsOut, n.Elapsed, n.Saved) { Waited = n.Waited, ErrorsRouted = n.ErrorsRouted }).ToList(),
        result.Error?.Message);
}
