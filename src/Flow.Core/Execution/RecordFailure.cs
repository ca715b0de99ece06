namespace Flow.Execution;

/// <summary>A record a node failed on, as the node got it, with what went wrong (for its error sink).</summary>
/// <param name="Index">The record's place in the batch the node got.</param>
/// <param name="Record">The record as it was before the node touched it.</param>
/// <param name="Error">What went wrong.</param>
internal readonly record struct RecordFailure(int Index, Record Record, Exception Error);
