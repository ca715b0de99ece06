namespace Flow.Execution;

/// <summary>The outcome of one pipeline run, with the counters of every node.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Status">How the run ended.</param>
/// <param name="Elapsed">How long it ran.</param>
/// <param name="Nodes">The counters of every node, in plan order.</param>
/// <param name="Error">What ended a failed run.</param>
/// <param name="Cached">False when the run had no cache at all (<c>Flow:Cache:Store=None</c>): its steps computed every batch, and nothing was looked up or written.</param>
internal sealed record PipelineResult(string Pipeline, RunStatus Status, TimeSpan Elapsed, IReadOnlyList<NodeStats> Nodes, Exception? Error, bool Cached = true);
