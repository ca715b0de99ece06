using Flow.Steps;

namespace Flow;

/// <summary>
/// The version of a step's code: bump it when the step's logic changes, and its cached results
/// are no longer replayed. It joins the step's cache signature next to the <c>Version</c> given in
/// configuration (which a pipeline can set to force a re-run without a code change).
/// </summary>
/// <example><code>[StepVersion("2")] public sealed class Score : RecordStep { ... }</code></example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class StepVersionAttribute : Attribute
{
    /// <summary>Declares the step's code version.</summary>
    public StepVersionAttribute(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        Version = version;
    }

    /// <summary>The declared version.</summary>
    public string Version { get; }
}
