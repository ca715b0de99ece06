namespace Flow;

/// <summary>Settings of the <c>Flow</c> configuration section other than the pipelines themselves.</summary>
public sealed class FlowOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Flow";

    /// <summary>The step cache.</summary>
    public FlowCacheOptions Cache { get; set; } = new();

    /// <summary>What to run: which pipeline, where to write the report.</summary>
    public FlowRunOptions Run { get; set; } = new();

    /// <summary>The worker's HTTP endpoints (health, readiness, metrics, the status page); off unless <see cref="FlowHttpOptions.Urls"/> is set.</summary>
    public FlowHttpOptions Http { get; set; } = new();

    /// <summary>
    /// After SIGTERM or Ctrl-C, how long in-flight batches may drain before they are abandoned.
    /// Default 20 seconds; keep it below the host's <c>HostOptions.ShutdownTimeout</c>.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often long runs log their progress (records read, records/s, batches, hits). Default 5 seconds.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Once a run is aborted (a node failed, or the drain after a stop ran out), how long its sources
    /// and steps get to notice before they are abandoned and the run ends anyway (what was abandoned
    /// is logged). Bounds the end of a run even when user code ignores its cancellation token or a
    /// source blocks on a pipe. Default 5 seconds.
    /// </summary>
    public TimeSpan AbortGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Plug-in assemblies (paths to .dll files, relative to the working folder) whose node classes
    /// configuration names by assembly-qualified type name. Each loads in a context of its own with
    /// its own dependencies, sharing Flow's assemblies with the host.
    /// </summary>
    public IReadOnlyList<string> Plugins { get; set; } = [];
}
