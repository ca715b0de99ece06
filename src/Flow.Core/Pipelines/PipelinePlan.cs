namespace Flow.Pipelines;

/// <summary>A pipeline that passed validation: nodes built, edges resolved, in topological order.</summary>
internal sealed class PipelinePlan
{
    public PipelinePlan(PipelineDefinition definition, IReadOnlyList<PlannedNode> nodes)
    {
        Definition = definition;
        Nodes = nodes;
    }

    public PipelineDefinition Definition { get; }

    public string Name => Definition.Name;

    public int BatchSize => Definition.BatchSize;

    /// <summary>Every node; inputs always come before the nodes they feed.</summary>
    public IReadOnlyList<PlannedNode> Nodes { get; }
}
