namespace Flow.Pipelines;

/// <summary>
/// One built node of one run (or of the validation that precedes the first run): the object, the
/// parameters it read while it was built (typed values and file contents, for its cache signature)
/// and what its class declares.
/// </summary>
internal sealed class NodeInstance
{
    public NodeInstance(PlannedNode node, object instance, NodeParameters parameters, string? behaviour, bool ownedByFlow)
    {
        Node = node;
        Instance = instance;
        Parameters = parameters;
        Behaviour = behaviour ?? NodeTypeRegistry.DeclaredVersion(instance.GetType());
        ReadsBatchPosition = Attribute.IsDefined(instance.GetType(), typeof(ReadsBatchPositionAttribute), inherit: true);
        OwnedByFlow = ownedByFlow;
    }

    public PlannedNode Node { get; }

    public string Name => Node.Name;

    /// <summary>The <see cref="ISource"/>, <see cref="IStep"/> or <see cref="ISink"/>.</summary>
    public object Instance { get; }

    /// <summary>The parameters the node was built from, with the typed values it read (for its cache signature).</summary>
    public NodeParameters Parameters { get; }

    /// <summary>The version of the node's behaviour: a built-in's, or what its class declares with <see cref="StepVersionAttribute"/>; null when none.</summary>
    public string? Behaviour { get; }

    /// <summary>Whether the step declared <see cref="ReadsBatchPositionAttribute"/>: it may read the batch's position, which then joins its cache key.</summary>
    public bool ReadsBatchPosition { get; }

    /// <summary>False for an object a pipeline written in C# handed over: its owner disposes it, and every run uses it.</summary>
    public bool OwnedByFlow { get; }

    /// <summary>
    /// True the first time it is asked for an object Flow owns, and for a handed-over object the first
    /// time ever: a C# pipeline's own object is initialized once, however many runs use it.
    /// </summary>
    public bool TryClaimInitialization() =>
        OwnedByFlow || HandedOverInitialized.TryAdd(Instance, true);

    // Handed-over objects initialized so far (weakly held: it is their owner who keeps them alive).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> HandedOverInitialized = new();

    public async ValueTask DisposeAsync()
    {
        if (!OwnedByFlow)
        {
            return;
        }

        switch (Instance)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
