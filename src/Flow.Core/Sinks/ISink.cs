using Flow.Batches;

namespace Flow.Sinks;

/// <summary>
/// A sink: writes batches, in source order, one at a time. Its output becomes visible as a whole
/// on <see cref="CommitAsync"/>, which the framework calls only when the run completed; a run
/// that failed or was interrupted only disposes the sink, which must leave whatever was written
/// flushed and whole (no half-written line) but not in place of a previous complete output.
/// </summary>
public interface ISink : IAsyncDisposable
{
    /// <summary>Prepares the output (creates the temporary file, opens the connection).</summary>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Writes one batch.</summary>
    ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken);

    /// <summary>Flushes and makes the output visible: called once, after the last batch of a completed run.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}
