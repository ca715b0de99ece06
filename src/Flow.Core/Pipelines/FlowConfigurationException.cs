using Flow.Pipelines;

namespace Flow;

/// <summary>
/// Thrown when a pipeline's configuration is invalid. Carries every problem found, each with its
/// configuration path; nothing has run when it is thrown.
/// </summary>
public sealed class FlowConfigurationException : Exception
{
    /// <summary>Creates the exception for one problem.</summary>
    public FlowConfigurationException(string path, string message)
        : this(new[] { new ConfigurationError(path, message) })
    {
    }

    /// <summary>Creates the exception for several problems.</summary>
    public FlowConfigurationException(IReadOnlyList<ConfigurationError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ConfigurationError> Errors { get; }
}
