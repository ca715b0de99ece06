namespace Flow;

/// <summary>What one invocation of the worker runs (<c>Flow:Run</c>; <c>--pipeline</c> and <c>--report</c> on the command line).</summary>
public sealed class FlowRunOptions
{
    /// <summary>Run only this pipeline; null (default) runs every configured pipeline.</summary>
    public string? Pipeline { get; set; }

    /// <summary>Write the run's summary as JSON to this file; null (default) writes none.</summary>
    public string? Report { get; set; }
}
