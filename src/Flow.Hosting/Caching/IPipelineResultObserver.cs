using Flow.Execution;

namespace Flow.Hosting.Caching;

/// <summary>
/// A step decoration that wants to know how its run ended before it is disposed: the step cache
/// may only say "the output is complete" after a run that completed.
/// </summary>
/// <remarks>
/// Kept apart from <c>IStepDecoration</c> so the worker offers the result to any decoration that
/// asks, without every decoration having to take it.
/// </remarks>
internal interface IPipelineResultObserver
{
    /// <summary>Called once, after the run and before the decoration is disposed.</summary>
    void OnPipelineEnded(PipelineResult result);
}
