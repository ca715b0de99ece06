using Flow.Batches;

namespace Flow.Execution;

/// <summary>
/// What a step's block runs for each batch. The step itself is one processor; the caching
/// decorator is another that wraps it, so the block never knows whether a batch was computed.
/// </summary>
internal interface IBatchProcessor
{
    ValueTask<Batch> ProcessAsync(Batch batch, CancellationToken cancellationToken);
}
