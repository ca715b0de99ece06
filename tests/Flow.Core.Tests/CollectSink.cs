using Flow.Batches;
using Flow.Sinks;

namespace Flow.Core.Tests;

/// <summary>A sink that keeps every batch it is given in memory, and remembers whether it was committed.</summary>
internal sealed class CollectSink : ISink
{
    private readonly List<Batch> _batches = new();
    private int _committed;

    public IReadOnlyList<Batch> Batches
    {
        get
        {
            lock (_batches)
            {
                return _batches.ToList();
            }
        }
    }

    public IReadOnlyList<Record> Records => Batches.SelectMany(b => b.Records).ToList();

    public bool Committed => Volatile.Read(ref _committed) == 1;

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        lock (_batches)
        {
            _batches.Add(batch);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _committed, 1);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
