using System.Diagnostics;
using Flow.Batches;
using Flow.Sinks;
using Flow.Steps;

namespace Flow.Perf.Scenarios;

/// <summary>
/// A CPU-bound step costing a fixed time a record: it spins on <see cref="Stopwatch"/> (not
/// Task.Delay, which would free the core and hide the cache's own CPU cost), then sets a field
/// derived from the record so its output is a real function of its input.
/// </summary>
internal sealed class SpinStep : IStep
{
    private readonly long _ticksPerRecord;

    public SpinStep(TimeSpan perRecord) => _ticksPerRecord = (long)(perRecord.TotalSeconds * Stopwatch.Frequency);

    public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        var output = new List<Record>(batch.Count);
        foreach (var record in batch.Records)
        {
            var until = Stopwatch.GetTimestamp() + _ticksPerRecord;
            while (Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(8);
            }

            var id = record["id"] is long l ? l : 0;
            record.Set("score", (id * 31) % 1000);
            output.Add(record);
        }

        return new ValueTask<IReadOnlyList<Record>>(output);
    }
}

/// <summary>An in-memory sink that only counts records (and touches one field, so nothing is optimized away).</summary>
internal sealed class CountingSink : ISink
{
    private long _records;
    private long _batches;

    public long Records => Interlocked.Read(ref _records);

    public long Batches => Interlocked.Read(ref _batches);

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _records, batch.Count);
        Interlocked.Increment(ref _batches);
        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
