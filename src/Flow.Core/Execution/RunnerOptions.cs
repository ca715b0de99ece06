namespace Flow.Execution;

/// <summary>Settings of the graph runner that are not part of a pipeline's definition.</summary>
internal sealed record RunnerOptions
{
    /// <summary>After a stop request, how long in-flight batches may drain before they are abandoned.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Once the run is aborted, how long sources and steps get to stop before they are abandoned.</summary>
    public TimeSpan AbortGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Folder of the publish journals (<c>.flow/publish</c>), or null to publish without one.</summary>
    public string? PublishJournalDirectory { get; init; }

    /// <summary>How often a progress line (records/s) is logged on long runs.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);
}
