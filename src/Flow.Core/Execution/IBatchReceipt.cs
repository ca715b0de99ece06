namespace Flow.Execution;

/// <summary>What a batch source hears about one of its batches, exactly once: it was written by every sink, or it failed.</summary>
internal interface IBatchReceipt
{
    /// <summary>
    /// Whether the source takes a failure of this batch upon itself (delivers its entries again, and
    /// after too many deliveries sets them aside): then a step that throws on it fails the batch, not
    /// the run.
    /// </summary>
    bool HandlesFailures { get; }

    /// <summary>Every sink wrote what came of the batch (and, for outputs published at the end, they were published).</summary>
    void Completed();

    /// <summary>
    /// Every sink wrote what came of the batch, but the run publishes its outputs only at its end:
    /// <see cref="Completed"/> follows the publish (or never comes, when the run fails). A written
    /// batch can no longer fail, so a source waiting for its batches to settle (to end when drained)
    /// need not wait for it. Comes before <see cref="Completed"/>, at most once; not at all when the
    /// completion is not held.
    /// </summary>
    void Written()
    {
    }

    /// <summary>The batch failed (a step threw); <paramref name="error"/> says why.</summary>
    void Failed(Exception error);
}
