namespace Flow.Execution;

/// <summary>A batch as a <see cref="IBatchSource"/> formed it: its identity, its records, and whom to tell when it is done.</summary>
/// <param name="Id">The batch's identity; the same entries formed again give the same identity.</param>
/// <param name="Records">The records, in the order the source read them.</param>
/// <param name="Receipt">Told once when every sink wrote what came of the batch, or when it failed; null when the source need not know.</param>
internal sealed record SourceBatch(BatchId Id, IReadOnlyList<Record> Records, IBatchReceipt? Receipt);
