using Flow.Pipelines;

namespace Flow.Hosting.Running;

/// <summary>Planned pipelines, or the configuration errors that stop them from running.</summary>
internal sealed record FlowPlanResult(IReadOnlyList<PipelinePlan> Plans, IReadOnlyList<ConfigurationError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
