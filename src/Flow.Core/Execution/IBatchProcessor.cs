namespace Flow.Execution;

/// <summary>
/// What a step's block runs for each batch. The step itself is one processor; the caching
/// decorator is another that wraps it; the block counts what comes back (hit or computed), so
/// neither counts for itself.
/// </summary>
internal interface IBatchProcessor
{
    ValueTask<StepOutput> ProcessAsync(Batch batch, CancellationToken cancellationToken);
}
