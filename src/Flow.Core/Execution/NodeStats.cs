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
    private long _waited;
    private long _cacheErrors;
    private long _failedBatches;
    private long _errorsRouted;
    private long _inFlight;
    private long _elapsedTicks;
    private long _computeTicks;
    private long _previousAverageTicks;
    private long _replayTicks;
    private long _previousReplayTicks;
    private string? _notCached;

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

    /// <summary>Batches that missed at the lookup and were replayed from the entry another worker sharing the store computed meanwhile.</summary>
    public long Waited => Interlocked.Read(ref _waited);

    /// <summary>Cache store calls of this step that failed or were cut off (each such batch ran uncached).</summary>
    public long CacheErrors => Interlocked.Read(ref _cacheErrors);

    /// <summary>Batches the step failed on that the run went on without.</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    /// <summary>Records the node failed on and sent to its error sink (the run went on without them).</summary>
    public long ErrorsRouted => Interlocked.Read(ref _errorsRouted);

    /// <summary>Batches the step is working on now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Time spent in the node (summed over batches, so it can exceed wall time with parallelism).</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <summary>
    /// Average time the step took to compute one batch in this run, or, in a run that computed
    /// none, what the last run that did measured (<see cref="PreviousAverage"/>).
    /// </summary>
    public TimeSpan AverageCompute => Average(ref _computeTicks, Misses, ref _previousAverageTicks);

    /// <summary>The average batch time of the step's last computing run (from the cache's record of it), for runs that are all hits.</summary>
    public TimeSpan PreviousAverage
    {
        set => Interlocked.Exchange(ref _previousAverageTicks, value.Ticks);
    }

    /// <summary>
    /// Average time a hit took to replay (hash, fetch, check, decode) in this run, or, in a run
    /// without hits, what the last run that had some measured (<see cref="PreviousReplay"/>).
    /// </summary>
    public TimeSpan AverageReplay => Average(ref _replayTicks, Hits, ref _previousReplayTicks);

    /// <summary>The average replay time of the step's last run with hits (from the cache's record of it).</summary>
    public TimeSpan PreviousReplay
    {
        set => Interlocked.Exchange(ref _previousReplayTicks, value.Ticks);
    }

    /// <summary>Why the step ran uncached in this run although the cache is on (it is cheaper to compute than to replay), or null.</summary>
    public string? NotCached
    {
        get => Volatile.Read(ref _notCached);
        set => Volatile.Write(ref _notCached, value);
    }

    /// <summary>Estimated compute time the cache saved: hits and batches waited for, times the average time of a computed batch.</summary>
    public TimeSpan Saved => AverageCompute * (Hits + Waited);

    public void AddBatch(long recordsIn, long recordsOut, long elapsedStopwatchTicks)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _recordsIn, recordsIn);
        Interlocked.Add(ref _recordsOut, recordsOut);
        Interlocked.Add(ref _elapsedTicks, ToTimeSpanTicks(elapsedStopwatchTicks));
        FlowMetrics.Batch(Pipeline, Name, recordsIn, recordsOut);
    }

    /// <summary>Counts a batch the step computed, and how long that took (stopwatch ticks).</summary>
    public void AddComputed(long computeStopwatchTicks)
    {
        Interlocked.Increment(ref _misses);
        Interlocked.Add(ref _computeTicks, computeStopwatchTicks);
        FlowMetrics.Miss(Pipeline, Name);
    }

    /// <summary>Counts a batch replayed from the cache, and how long the replay took (stopwatch ticks).</summary>
    public void AddHit(long replayStopwatchTicks = 0)
    {
        Interlocked.Add(ref _replayTicks, replayStopwatchTicks);
        Interlocked.Increment(ref _hits);
        FlowMetrics.Hit(Pipeline, Name);
    }

    /// <summary>Counts a batch replayed from another worker's entry after a miss (see <see cref="Waited"/>).</summary>
    public void AddWaited()
    {
        Interlocked.Increment(ref _waited);
        FlowMetrics.Wait(Pipeline, Name);
    }

    public void AddCacheError()
    {
        Interlocked.Increment(ref _cacheErrors);
        FlowMetrics.CacheError(Pipeline, Name);
    }

    public void AddFailedBatch()
    {
        Interlocked.Increment(ref _failedBatches);
        FlowMetrics.BatchFailed(Pipeline, Name);
    }

    /// <summary>Counts records the node failed on that went to its error sink.</summary>
    public void AddErrorsRouted(long records)
    {
        Interlocked.Add(ref _errorsRouted, records);
        FlowMetrics.ErrorsRouted(Pipeline, Name, records);
    }

    /// <summary>A batch enters the step (+1) or leaves it (-1).</summary>
    public void ChangeInFlight(int change)
    {
        Interlocked.Add(ref _inFlight, change);
        FlowMetrics.InFlight(Pipeline, Name, change);
    }

    /// <summary>Records how long the step took for one batch (stopwatch ticks).</summary>
    public void AddStepDuration(long stopwatchTicks) => FlowMetrics.StepTook(Pipeline, Name, TimeSpan.FromTicks(ToTimeSpanTicks(stopwatchTicks)));

    public void AddElapsed(long elapsedStopwatchTicks) => Interlocked.Add(ref _elapsedTicks, ToTimeSpanTicks(elapsedStopwatchTicks));

    // This run's average over its batches, or the last run's when this one had none.
    private static TimeSpan Average(ref long stopwatchTicks, long batches, ref long previousTicks) => batches == 0
        ? TimeSpan.FromTicks(Interlocked.Read(ref previousTicks))
        : TimeSpan.FromTicks(ToTimeSpanTicks(Interlocked.Read(ref stopwatchTicks)) / batches);

    private static long ToTimeSpanTicks(long stopwatchTicks) =>
        (long)(stopwatchTicks * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
}
