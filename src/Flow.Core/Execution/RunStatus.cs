using Flow.Execution;

namespace Flow;

/// <summary>How a pipeline run ended.</summary>
public enum RunStatus
{
    /// <summary>Every source was read to its end and every sink committed its output.</summary>
    Completed,

    /// <summary>A node failed; the run stopped.</summary>
    Failed,

    /// <summary>The run was stopped (SIGTERM, Ctrl-C) before its sources were exhausted.</summary>
    Interrupted,
}
