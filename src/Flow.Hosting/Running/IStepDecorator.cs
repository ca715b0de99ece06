using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Hosting.Running;

/// <summary>Wraps the steps of one pipeline run (the step cache is one); created per run, disposed after it.</summary>
internal interface IStepDecorator
{
    Task<IStepDecoration> CreateAsync(PipelinePlan plan, CancellationToken cancellationToken);
}

/// <summary>The decoration of one pipeline run.</summary>
internal interface IStepDecoration : IAsyncDisposable
{
    IBatchProcessor Decorate(PlannedNode node, StepProcessor step, NodeStats stats);

    /// <summary>Called once, after the run and before the decoration is disposed (the cache says "the output is complete" only after a completed run).</summary>
    void OnPipelineEnded(PipelineResult result);
}
