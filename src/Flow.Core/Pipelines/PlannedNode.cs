namespace Flow.Pipelines;

/// <summary>
/// A validated node: its definition, how to build it, and its resolved edges. It holds no instance:
/// each run builds its own (<see cref="PipelinePlan.TakeNodesAsync"/>), so a second run never
/// reuses a sink the first one disposed.
/// </summary>
internal sealed class PlannedNode
{
    public PlannedNode(NodeDefinition definition, NodeTypeRegistry.Registration? registration, string canonicalType)
    {
        Definition = definition;
        Registration = registration;
        CanonicalType = canonicalType;
    }

    public NodeDefinition Definition { get; }

    /// <summary>How to build the node; null for an object handed over by a pipeline written in C#.</summary>
    public NodeTypeRegistry.Registration? Registration { get; }

    /// <summary>The type as it enters the cache signature: the alias of a built-in or <c>Namespace.Type, Assembly</c>.</summary>
    public string CanonicalType { get; }

    public string Name => Definition.Name;

    public NodeKind Kind => Definition.Kind;

    public List<PlannedNode> Inputs { get; } = new();

    /// <summary>Nodes fed by this one, in declaration order (fan-out sends to each in this order).</summary>
    public List<PlannedNode> Consumers { get; } = new();

    /// <summary>The sink that gets what this node fails on, or null (a failure stops the run).</summary>
    public PlannedNode? ErrorSink { get; set; }

    /// <summary>For an error sink: the nodes that send it their failures, in plan order.</summary>
    public List<PlannedNode> ErrorProducers { get; } = new();
}
