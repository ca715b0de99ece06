using Flow.Batches;
using Flow.Sinks;

namespace Flow;

/// <summary>
/// A sink: writes batches, in source order, one at a time. Its output becomes visible as a whole
/// on <see cref="CommitAsync"/>, which the framework calls only when the run completed and every
/// sink of the run has flushed (<see cref="FlushAsync"/>), so a failure of one sink publishes none.
/// A run that failed or was interrupted only disposes the sink, which must leave whatever was
/// written flushed and whole (no half-written line) but not in place of a previous complete output.
/// </summary>
public interface ISink : IAsyncDisposable
{
    /// <summary>Prepares the output (creates the temporary file, opens the connection).</summary>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Writes one batch.</summary>
    ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Makes everything written durable and ready to publish, so that <see cref="CommitAsync"/> is only a
    /// cheap switch that is unlikely to fail. Called once, after the last batch of a completed run, on
    /// every sink before any is committed. Throwing here publishes nothing of the run.
    /// </summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Makes the output visible: called once, after every sink of a completed run flushed.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}
