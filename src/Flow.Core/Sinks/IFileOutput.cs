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

    /// <summary>True once <see cref="AppendToTarget"/> was called: the output is written in place, not published by a rename.</summary>
    bool Appends { get; }

    /// <summary>
    /// For an unbounded pipeline (a stream), which has no end to publish at: append whole batches to
    /// the target itself and flush each one before it counts as written, so that a batch is
    /// acknowledged only once its lines are in the file. Called before the sink is opened.
    /// </summary>
    void AppendToTarget();
}
