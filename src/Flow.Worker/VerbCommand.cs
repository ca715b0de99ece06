using System.CommandLine;

namespace Flow.Worker;

/// <summary>
/// A command that reads configuration and hands its work on as a <see cref="FlowRequest"/>:
/// <c>flow</c> itself (which is <c>flow run</c>), <c>run</c>, <c>validate</c> and the cache commands.
/// Only these take <c>--Section:Key=value</c> overrides.
/// </summary>
internal sealed class VerbCommand(string name, string description, string verb, string? cacheCommand = null)
    : Command(name, description)
{
    /// <summary><c>run</c>, <c>validate</c> or <c>cache</c>.</summary>
    public string Verb { get; } = verb;

    /// <summary>For <c>cache</c>: <c>stats</c>, <c>clear</c>, <c>gc</c> or <c>explain</c>.</summary>
    public string? CacheCommand { get; } = cacheCommand;
}
