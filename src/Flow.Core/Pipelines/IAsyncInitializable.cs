namespace Flow;

/// <summary>
/// A source, step or sink that needs asynchronous work before its first batch (reading a table,
/// opening a connection). Flow calls <see cref="InitializeAsync"/> once, after building the node and
/// before the run, and also when it validates a pipeline, so a problem found here (a file that does
/// not parse) is reported as bad configuration before anything runs. Throw a
/// <see cref="FlowConfigurationException"/> (<see cref="NodeParameters.Error"/>) to name the parameter.
/// Nodes that also implement <see cref="IAsyncDisposable"/> (or <see cref="IDisposable"/>) are disposed when their run ends.
/// </summary>
public interface IAsyncInitializable
{
    /// <summary>Prepares the node; called once per built node.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken);
}
