using Flow.Batches;

namespace Flow;

/// <summary>
/// The deterministic identity of a batch: the source it came from, its index in that source
/// (0, 1, 2, ...) and the offset of its first record in the source. A replay of the same input
/// forms batches with the same identities, and a step's output batch keeps its input's identity.
/// </summary>
/// <param name="Source">Name of the source node that formed the batch.</param>
/// <param name="Index">Zero-based index of the batch in its source.</param>
/// <param name="Offset">Zero-based offset of the batch's first record in its source.</param>
public readonly record struct BatchId(string Source, long Index, long Offset)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source}#{Index}@{Offset}";
}
