namespace Flow.Sinks;

/// <summary>
/// A sink that writes one file, first to <see cref="PartialPath"/> and then renamed onto
/// <see cref="TargetPath"/> when the run publishes: what validation checks (two sinks on one file,
/// a file that is an input of the same pipeline) and what the publish journal names.
/// </summary>
internal interface IFileOutput
{
    /// <summary>The output file, full path.</summary>
    string TargetPath { get; }

    /// <summary>Where the run writes it until it is published.</summary>
    string PartialPath { get; }
}
