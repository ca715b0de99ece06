namespace Flow.Execution;

/// <summary>
/// A source that forms its own batches and learns what became of each: a stream, whose batches
/// close on count or on time, keep their identity across redeliveries, and are acknowledged only
/// once every sink has written what came of them (<see cref="IBatchReceipt"/>).
/// </summary>
/// <remarks>
/// The runner cuts the records of an ordinary <see cref="ISource"/> into batches itself. A batch
/// source must still turn one batch of input into one <see cref="SourceBatch"/>, with an identity
/// that a redelivery of the same entries reproduces, so that its steps replay from the cache.
/// </remarks>
internal interface IBatchSource
{
    /// <summary>True for a source that never ends by itself: the pipeline is then unbounded (it ends on a stop, with success).</summary>
    bool IsUnbounded { get; }

    /// <summary>
    /// Reads batches of at most <paramref name="batchSize"/> records. Stops forming batches when
    /// <paramref name="stop"/> is cancelled (a graceful stop) and ends at once on <paramref name="abort"/>.
    /// </summary>
    IAsyncEnumerable<SourceBatch> ReadBatchesAsync(int batchSize, CancellationToken stop, CancellationToken abort);
}
