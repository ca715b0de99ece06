namespace Flow;

/// <summary>
/// Runs the pipelines of this host on demand, from any host that called <c>AddFlow()</c>: a web
/// application, a scheduler, a test. A pipeline may run any number of times; each run builds its own
/// nodes and disposes them when it ends.
/// </summary>
public interface IPipelineRunner
{
    /// <summary>The names of the pipelines this host knows (from configuration and from C#).</summary>
    IReadOnlyList<string> Pipelines { get; }

    /// <summary>
    /// Runs pipeline <paramref name="pipeline"/> to its end and says how it went. Cancelling
    /// <paramref name="stop"/> is a graceful stop: no new input, in-flight batches drain within
    /// <c>Flow:DrainTimeout</c>, nothing is published, the result is <see cref="RunStatus.Interrupted"/>.
    /// What goes wrong inside the run is in the result, not thrown.
    /// </summary>
    /// <exception cref="FlowConfigurationException">No such pipeline, or its configuration has problems (every one listed).</exception>
    Task<PipelineRunResult> RunAsync(string pipeline, CancellationToken stop = default);
}
