using Flow.Pipelines;
using Microsoft.Extensions.Logging;

namespace Flow.Execution;

/// <summary>Runs planned pipelines; the decorator hook is where the step cache wraps each step.</summary>
internal sealed class PipelineRunner
{
    private readonly ILogger _logger;
    private readonly RunnerOptions _options;

    public PipelineRunner(ILogger logger, RunnerOptions? options = null)
    {
        _logger = logger;
        _options = options ?? new RunnerOptions();
    }

    /// <summary>
    /// Runs a pipeline to its end. <paramref name="stop"/> is a graceful stop: sources stop reading,
    /// in-flight batches drain (for at most <see cref="RunnerOptions.DrainTimeout"/>), the run ends
    /// <see cref="RunStatus.Interrupted"/>.
    /// </summary>
    public Task<PipelineResult> RunAsync(
        PipelinePlan plan,
        CancellationToken stop,
        Func<PlannedNode, StepProcessor, NodeStats, IBatchProcessor>? decorate = null) =>
        new PipelineRun(plan, _logger, _options, decorate, stop).RunAsync();
}
