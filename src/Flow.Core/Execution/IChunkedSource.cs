using Flow.Batches;

namespace Flow.Execution;

/// <summary>
/// A source that hands its records over many at a time. The runner cuts its batches from the chunks,
/// so a record costs a list append instead of a step of an async enumeration. The records and their
/// order are those of <see cref="ISource.ReadAsync"/>, so the batches, and their keys, are the same.
/// </summary>
internal interface IChunkedSource : ISource
{
    /// <summary>Reads the records in order, in chunks of any size. A chunk handed over is the reader's to keep.</summary>
    IAsyncEnumerable<IReadOnlyList<Record>> ReadChunksAsync(CancellationToken cancellationToken);
}
