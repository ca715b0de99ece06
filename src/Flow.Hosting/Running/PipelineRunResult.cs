namespace Flow;

/// <summary>How one run of a pipeline ended, with every node's counts.</summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Status">Completed, failed or interrupted.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="Nodes">Each node's counts, in the pipeline's order (inputs first).</param>
/// <param name="Error">What failed, in one sentence (pipeline, node, batch, first record), or null.</param>
public sealed record PipelineRunResult(string Pipeline, RunStatus Status, TimeSpan Elapsed, IReadOnlyList<NodeRunResult> Nodes, string? Error);
