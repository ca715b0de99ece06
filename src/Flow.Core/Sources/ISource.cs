using Flow.Batches;
using Flow.Sources;

namespace Flow;

/// <summary>
/// A source of records. The framework cuts its records into batches of <c>BatchSize</c>, so a
/// source that yields the same records in the same order replays the same batches.
/// </summary>
public interface ISource
{
    /// <summary>Reads the records in order. Stop when <paramref name="cancellationToken"/> is cancelled.</summary>
    IAsyncEnumerable<Record> ReadAsync(CancellationToken cancellationToken);
}
