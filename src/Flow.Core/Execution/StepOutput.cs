namespace Flow.Execution;

/// <summary>What a step's processor made of one batch: the output, and whether the cache replayed it or the step computed it.</summary>
/// <param name="Batch">The output batch (the input's identity, the step's records).</param>
/// <param name="Replayed">True when served from the cache (a hit), false when the step computed it.</param>
/// <param name="ComputeTicks">Stopwatch ticks the step spent computing it (0 for a hit).</param>
internal readonly record struct StepOutput(Batch Batch, bool Replayed, long ComputeTicks);
