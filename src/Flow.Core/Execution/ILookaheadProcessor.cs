using Flow.Batches;

namespace Flow.Execution;

/// <summary>
/// A processor whose work splits in two: a part that may run ahead of the step, several batches at
/// once (the cache lookup: hash, fetch, decode), and the part that must be the step's (computing a
/// miss). The runner gives the first part its own ordered block, so a replay is not limited to one
/// store round trip at a time when the step itself runs one batch at a time.
/// </summary>
internal interface ILookaheadProcessor : IBatchProcessor
{
    /// <summary>How many batches may be prepared at once; 0 turns the lookahead off.</summary>
    int Lookahead { get; }

    /// <summary>
    /// How many batches may wait in <see cref="FinishAsync"/> on top of the step's parallelism: batches
    /// waiting for another worker's result, which take no compute slot (the processor bounds the step's
    /// own calls to its parallelism). 0 when nothing waits.
    /// </summary>
    int Waiting { get; }

    ValueTask<PreparedBatch> PrepareAsync(Batch batch, CancellationToken cancellationToken);

    ValueTask<StepOutput> FinishAsync(PreparedBatch prepared, CancellationToken cancellationToken);
}

/// <summary>A batch with what <see cref="ILookaheadProcessor.PrepareAsync"/> found out about it.</summary>
internal sealed record PreparedBatch(Batch Input, object? State);
