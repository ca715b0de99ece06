namespace Flow.Pipelines;

/// <summary>
/// A pipeline that passed validation: edges resolved, nodes in topological order, and the node
/// instances validation built. The first run takes those; every later run builds its own, so a
/// plan can run any number of times in one process.
/// </summary>
internal sealed class PipelinePlan : IAsyncDisposable
{
    private readonly NodeBuilder _builder;
    private readonly IReadOnlyDictionary<string, NodeInstance> _validated;
    private int _validatedTaken;

    public PipelinePlan(PipelineDefinition definition, IReadOnlyList<PlannedNode> nodes, NodeBuilder builder, IReadOnlyDictionary<string, NodeInstance> validated)
    {
        Definition = definition;
        Nodes = nodes;
        _builder = builder;
        _validated = validated;
    }

    public PipelineDefinition Definition { get; }

    public string Name => Definition.Name;

    public int BatchSize => Definition.BatchSize;

    /// <summary>Every node; inputs always come before the nodes they feed.</summary>
    public IReadOnlyList<PlannedNode> Nodes { get; }

    /// <summary>
    /// The nodes as validation built them: what cache signatures are computed from outside a run
    /// (<c>flow cache explain</c>, <c>clear --pipeline</c>). Not to be run: take nodes for that.
    /// </summary>
    public IReadOnlyDictionary<string, NodeInstance> Validated => _validated;

    /// <summary>
    /// The nodes for one run, built and initialized: the validated ones the first time, new ones after.
    /// Dispose the result when the run ends.
    /// </summary>
    /// <exception cref="FlowConfigurationException">A node cannot be built any more (its file went away).</exception>
    public async Task<RunNodes> TakeNodesAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _validatedTaken, 1) == 0)
        {
            return new RunNodes(_validated);
        }

        var errors = new List<ConfigurationError>();
        var built = new Dictionary<string, NodeInstance>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            if (await _builder.BuildAsync(node, errors, cancellationToken).ConfigureAwait(false) is { } instance)
            {
                built[node.Name] = instance;
            }
        }

        if (errors.Count > 0)
        {
            await new RunNodes(built).DisposeAsync().ConfigureAwait(false);
            throw new FlowConfigurationException(errors);
        }

        return new RunNodes(built);
    }

    /// <summary>Disposes the validated nodes if no run took them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _validatedTaken, 1) == 0)
        {
            await new RunNodes(_validated).DisposeAsync().ConfigureAwait(false);
        }
    }
}
