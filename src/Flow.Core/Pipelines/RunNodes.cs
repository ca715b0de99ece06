namespace Flow.Pipelines;

/// <summary>The node instances of one run, by name; disposing it disposes every node Flow built.</summary>
internal sealed class RunNodes : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, NodeInstance> _nodes;

    public RunNodes(IReadOnlyDictionary<string, NodeInstance> nodes) => _nodes = nodes;

    public NodeInstance this[string name] => _nodes[name];

    /// <summary>Disposes every node but those <paramref name="except"/> names (still busy in abandoned work).</summary>
    public async ValueTask DisposeAsync(IReadOnlyCollection<string> except, Action<string, Exception> onError)
    {
        foreach (var (name, node) in _nodes)
        {
            if (except.Contains(name))
            {
                continue;
            }

            try
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                onError(name, ex);
            }
        }
    }

    public ValueTask DisposeAsync() => DisposeAsync([], static (_, _) => { });
}
