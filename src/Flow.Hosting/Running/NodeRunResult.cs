namespace Flow;

/// <summary>One node's counts in a run.</summary>
/// <param name="Name">The node.</param>
/// <param name="Kind">Source, step or sink.</param>
/// <param name="Type">Its <c>Type</c> as configured.</param>
/// <param name="Batches">Batches it finished.</param>
/// <param name="Hits">Batches a step replayed from the cache.</param>
/// <param name="Misses">Batches a step computed.</param>
/// <param name="RecordsIn">Records it received.</param>
/// <param name="RecordsOut">Records it emitted.</param>
/// <param name="Elapsed">Time spent in the node, summed over batches (it can exceed wall time with parallelism).</param>
/// <param name="Saved">Estimated compute time the cache saved (hits and batches waited for, times the step's average batch time).</param>
public sealed record NodeRunResult(string Name, NodeKind Kind, string Type, long Batches, long Hits, long Misses, long RecordsIn, long RecordsOut, TimeSpan Elapsed, TimeSpan Saved)
{
    /// <summary>
    /// Batches a step missed at the lookup and then replayed from the entry another worker sharing
    /// the cache store computed meanwhile (it held the batch's lease, and this worker waited for its
    /// result). For a step, <see cref="Hits"/> + <see cref="Waited"/> + <see cref="Misses"/> is every batch it finished.
    /// </summary>
    public long Waited { get; init; }

    /// <summary>Records the node failed on that went to its error sink (<c>ErrorSink</c>) while the run went on.</summary>
    public long ErrorsRouted { get; init; }
}
