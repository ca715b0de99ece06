namespace Flow.Pipelines;

/// <summary>A validated node with its built instance and resolved edges.</summary>
internal sealed class PlannedNode
{
    public PlannedNode(NodeDefinition definition, object instance, string canonicalType, NodeParameters parameters)
    {
        Definition = definition;
        Instance = instance;
        CanonicalType = canonicalType;
        Parameters = parameters;
    }

    /// <summary>The parameters the node was built from, with the typed values it read (for its cache signature).</summary>
    public NodeParameters Parameters { get; }

    /// <summary>The type as it enters the cache signature: the alias of a built-in or <c>Namespace.Type, Assembly</c>.</summary>
    public string CanonicalType { get; }

    public NodeDefinition Definition { get; }

    /// <summary>The version of the node's behaviour: a built-in's, or what its class declares with <see cref="StepVersionAttribute"/>; null when none.</summary>
    public string? Behaviour { get; init; }

    /// <summary>Whether the step declared <see cref="ReadsBatchPositionAttribute"/>: it may read the batch's position, which then joins its cache key.</summary>
    public bool ReadsBatchPosition { get; init; }

    public string Name => Definition.Name;

    public NodeKind Kind => Definition.Kind;

    /// <summary>The <see cref="ISource"/>, <see cref="IStep"/> or <see cref="ISink"/>.</summary>
    public object Instance { get; }

    public List<PlannedNode> Inputs { get; } = new();

    /// <summary>Nodes fed by this one, in declaration order (fan-out sends to each in this order).</summary>
    public List<PlannedNode> Consumers { get; } = new();
}
