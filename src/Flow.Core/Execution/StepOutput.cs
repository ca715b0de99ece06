namespace Flow.Execution;

/// <summary>What a step's processor made of one batch: the output, and whether the cache replayed it or the step computed it.</summary>
/// <param name="Batch">The output batch (the input's identity, the step's records).</param>
/// <param name="Replayed">True when served from the cache (a hit, or a batch waited for), false when the step computed it.</param>
/// <param name="ComputeTicks">Stopwatch ticks the step spent computing it (0 when replayed).</param>
/// <param name="Waited">
/// True when it missed at the lookup and was then replayed from the entry another worker computed
/// meanwhile (this worker waited for that worker's lease, or found the entry written when it took
/// the lease): counted as waited, not as a hit.
/// </param>
/// <param name="IdleTicks">
/// Stopwatch ticks the batch spent waiting before the step ran or the entry was found (for a free
/// compute slot, for another worker's result): not the node's work, so not counted in its time.
/// </param>
internal readonly record struct StepOutput(Batch Batch, bool Replayed, long ComputeTicks, bool Waited = false, long IdleTicks = 0)
{
    /// <summary>
    /// With an error sink: the records the step failed on (not in <see cref="Batch"/>), or null when
    /// none did. Output with failures is never cached: the failed records would be lost on a replay.
    /// </summary>
    public IReadOnlyList<RecordFailure>? Failures { get; init; }

    /// <summary>For a hit: stopwatch ticks the replay took (hashing the input, fetching, checking and decoding the entry).</summary>
    public long ReplayTicks { get; init; }
}
