using System.Diagnostics;
using Flow.Batches;
using Flow.Steps;

namespace Flow.Execution;

/// <summary>Runs a step on a batch: counts a computed batch and turns a failure into a <see cref="StepFailedException"/>.</summary>
internal sealed class StepProcessor : IBatchProcessor
{
    private readonly string _pipeline;
    private readonly string _node;
    private readonly IStep _step;
    private readonly bool _readsPosition;
    private readonly NodeStats _stats;
    private long _computeTicks;

    public StepProcessor(string pipeline, string node, IStep step, bool readsPosition, NodeStats stats)
    {
        _pipeline = pipeline;
        _node = node;
        _step = step;
        _readsPosition = readsPosition;
        _stats = stats;
    }

    /// <summary>Average time of one computed batch so far, for the cache's time-saved estimate.</summary>
    public TimeSpan AverageComputeTime
    {
        get
        {
            var computed = _stats.Misses;
            return computed == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _computeTicks) / computed);
        }
    }

    public async ValueTask<Batch> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();

        // The record as it came in: a step may change records in place before it fails on a later one.
        var first = batch.Count > 0 ? batch.Records[0].ToString() : null;
        IReadOnlyList<Record> output;
        try
        {
            // The step sees the batch's position only if it declared it (and then the position is in its key).
            output = await _step.ProcessAsync(batch.ForStep(_readsPosition), cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException("the step returned null instead of a list of records");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Only the run's own abort token ends a batch quietly. A graceful stop does not cancel
            // steps (in-flight batches drain), so any other cancellation is the step's failure.
            throw;
        }
        catch (Exception ex)
        {
            // Includes an OperationCanceledException that is not ours (an HttpClient timeout, say):
            // Dataflow would drop the item silently, so it becomes a failure like any other.
            throw new StepFailedException(_pipeline, _node, batch, ex, first);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        Interlocked.Add(ref _computeTicks, elapsed.Ticks);
        _stats.AddMiss();
        return batch.With(output);
    }
}
