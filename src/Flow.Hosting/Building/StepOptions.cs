using Flow.Hosting.Building;

namespace Flow;

/// <summary>Per-step settings of a pipeline written in C# (the same as a step's keys in configuration).</summary>
public sealed record StepOptions
{
    /// <summary>Names of the nodes this step reads; null (default) reads the previous step (the sources, for the first step).</summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>
    /// Whether the step's results are cached. Null (default): cached, unless the last run found the
    /// step cheaper to compute than to replay; true: always cached; false: never looked up (results
    /// still written back, a refresh).
    /// </summary>
    public bool? UseCache { get; init; }

    /// <summary>The step's code version: bump it when its logic changes, so its cached results are not reused.</summary>
    public string? Version { get; init; }

    /// <summary>How many batches the step processes at once; output order is kept. Default 1.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Cached results older than this are not reused. Default: the cache's own time to live.</summary>
    public TimeSpan? CacheTtl { get; init; }

    /// <summary>
    /// A sink of the pipeline that gets the records this step fails on (each with the error, the
    /// step and the batch), so the run goes on; null (default): a failure stops the run.
    /// </summary>
    public string? ErrorSink { get; init; }
}
