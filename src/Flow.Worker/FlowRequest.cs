namespace Flow.Worker;

/// <summary>
/// What a command line asks of a configured command: the verb (<c>run</c>, <c>validate</c>,
/// <c>cache</c> or <c>graph</c>), the cache sub-command, the <c>--config</c> file, and the configuration overrides
/// in the <c>--Section:Key=value</c> form that <c>AddCommandLine</c> reads (options such as
/// <c>--pipeline NAME</c> already turned into their keys, then the pass-through overrides).
/// </summary>
internal sealed record FlowRequest(string Verb, string? CacheCommand, string? ConfigFile, IReadOnlyList<string> Overrides)
{
    /// <summary>For <c>graph</c>: <c>mermaid</c> (default) or <c>dot</c>.</summary>
    public string GraphFormat { get; init; } = "mermaid";
}
