using Flow.Batches;
using Flow.Serialization;
using Flow.Sinks;

namespace Flow.Hosting.Tests.Caching;

/// <summary>Sink type <c>Collect</c>: keeps every record it is given as a line of JSON, in order.</summary>
internal sealed class CollectingSink : ISink
{
    private readonly List<string> _lines = new();

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToList();
            }
        }
    }

    public bool Committed { get; private set; }

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        lock (_lines)
        {
            foreach (var record in batch.Records)
            {
                _lines.Add(RecordJson.ToJson(record));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        Committed = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
