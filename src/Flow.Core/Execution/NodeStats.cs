using System.Diagnostics;
using Flow.Pipelines;

namespace Flow.Execution;

/// <summary>Counters of one node during a run; updated from several threads, read at the end.</summary>
internal sealed class NodeStats
{
    private long _batches;
    private long _recordsIn;
    private long _recordsOut;
    private long _hits;
    private long _misses;
    private long _elapsedTicks;
    private long _savedTicks;

    public NodeStats(string pipeline, string name, NodeKind kind, string type)
    {
        Pipeline = pipeline;
        Name = name;
        Kind = kind;
        Type = type;
    }

    public string Pipeline { get; }

    public string Name { get; }

    public NodeKind Kind { get; }

    public string Type { get; }

    public long Batches => Interlocked.Read(ref _batches);

    public long RecordsIn => Interlocked.Read(ref _recordsIn);

    public long RecordsOut => Interlocked.Read(ref _recordsOut);

    /// <summary>Batches served from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Batches the step actually computed.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Time spent in the node (summed over batches, so it can exceed wall time with parallelism).</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <summary>Estimated compute time the cache saved: hits times the average time of a computed batch.</summary>
    public TimeSpan Saved => TimeSpan.FromTicks(Interlocked.Read(ref _savedTicks));

    public void AddBatch(long recordsIn, long recordsOut, long elapsedStopwatchTicks)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _recordsIn, recordsIn);
        Interlocked.Add(ref _recordsOut, recordsOut);
        Interlocked.Add(ref _elapsedTicks, ToTimeSpanTicks(elapsedStopwatchTicks));
        FlowMetrics.Batch(Pipeline, Name, recordsIn, recordsOut);
    }

    public void AddMiss()
    {
        Interlocked.Increment(ref _misses);
        FlowMetrics.Miss(Pipeline, Name);
    }

    public void AddHit()
    {
        Interlocked.Increment(ref _hits);
        FlowMetrics.Hit(Pipeline, Name);
    }

    public void AddSaved(TimeSpan saved) => Interlocked.Add(ref _savedTicks, saved.Ticks);

    public void AddElapsed(long elapsedStopwatchTicks) => Interlocked.Add(ref _elapsedTicks, ToTimeSpanTicks(elapsedStopwatchTicks));

    private static long ToTimeSpanTicks(long stopwatchTicks) =>
        (long)(stopwatchTicks * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
}
