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

    /// <summary>The batch failed (a step threw); <paramref name="error"/> says why.</summary>
    void Failed(Exception error);
}
