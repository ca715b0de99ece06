namespace Flow;

/// <summary>Per-sink settings of a pipeline written in C# (the same as a sink's keys in configuration).</summary>
public sealed record SinkOptions
{
    /// <summary>Names of the nodes this sink reads; null (default) reads the last step (the sources, when there is none).</summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>
    /// Another sink of the pipeline that gets the batches this sink cannot write (each record with the
    /// error, the sink and the batch), so the run goes on; null (default): a failure stops the run.
    /// </summary>
    public string? ErrorSink { get; init; }
}
