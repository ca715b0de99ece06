using Flow.Pipelines;

namespace Flow;

/// <summary>One problem found in a pipeline's configuration, with the configuration path it came from.</summary>
/// <param name="Path">Configuration path, e.g. <c>Flow:Pipelines:flights:Steps:1:Params:Where</c>.</param>
/// <param name="Message">What is wrong, in words a user can act on.</param>
public sealed record ConfigurationError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
