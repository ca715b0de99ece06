namespace Flow.Execution;

/// <summary>The outcome of one pipeline run, with the counters of every node.</summary>
internal sealed record PipelineResult(string Pipeline, RunStatus Status, TimeSpan Elapsed, IReadOnlyList<NodeStats> Nodes, Exception? Error);
