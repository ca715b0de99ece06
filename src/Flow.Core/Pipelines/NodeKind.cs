using Flow.Pipelines;

namespace Flow;

/// <summary>The role of a node in a pipeline.</summary>
public enum NodeKind
{
    /// <summary>Produces records.</summary>
    Source,

    /// <summary>Turns each batch into another batch.</summary>
    Step,

    /// <summary>Writes batches out.</summary>
    Sink,
}
