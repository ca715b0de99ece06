using Flow.Parameters;

namespace Flow.Pipelines;

/// <summary>
/// One node of a pipeline as written (in configuration or in C#), before anything is built.
/// </summary>
internal sealed record NodeDefinition
{
    public required NodeKind Kind { get; init; }

    public required string Name { get; init; }

    public required string Type { get; init; }

    /// <summary>Inputs named explicitly, or null for the default (the previous node).</summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    public ParamNode Params { get; init; } = ParamNode.Empty;

    /// <summary>Configuration path of the node, e.g. <c>Flow:Pipelines:flights:Steps:1</c>.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Whether the caching decorator wraps this step (steps only).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>True when <c>UseCache: true</c> is written on the step: cached even when it is cheaper to compute than to replay.</summary>
    public bool CacheForced { get; init; }

    /// <summary>The step's declared code version, part of its cache signature.</summary>
    public string? Version { get; init; }

    /// <summary>How many batches the step processes at once (output order is kept).</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Cached results of this step older than this are not reused.</summary>
    public TimeSpan? CacheTtl { get; init; }

    /// <summary>
    /// The sink that gets what this node fails on (a step: the records it fails on, or its whole
    /// batch; a sink: the batch it cannot write), so the run goes on; null: a failure stops the run.
    /// </summary>
    public string? ErrorSink { get; init; }

    /// <summary>A step's already-built instance, for steps added in C# as objects.</summary>
    public object? Instance { get; init; }
}
