namespace Flow.Pipelines;

/// <summary>A named pipeline as written: its sources, steps and sinks, before validation.</summary>
internal sealed record PipelineDefinition
{
    public const int DefaultBatchSize = 500;

    /// <summary>The largest batch: a batch's cached output must fit one cache entry.</summary>
    public const int MaxBatchSize = 1_000_000;

    public required string Name { get; init; }

    public int BatchSize { get; init; } = DefaultBatchSize;

    public required IReadOnlyList<NodeDefinition> Sources { get; init; }

    public required IReadOnlyList<NodeDefinition> Steps { get; init; }

    public required IReadOnlyList<NodeDefinition> Sinks { get; init; }

    /// <summary>Configuration path of the pipeline, e.g. <c>Flow:Pipelines:flights</c>.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Errors found while reading the definition itself (bad BatchSize, missing Type...).</summary>
    public IReadOnlyList<ConfigurationError> ReadErrors { get; init; } = Array.Empty<ConfigurationError>();

    public IEnumerable<NodeDefinition> AllNodes => Sources.Concat(Steps).Concat(Sinks);
}
