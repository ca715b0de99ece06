using System.Diagnostics;
using Flow.Batches;
using Flow.Steps;

namespace Flow.Execution;

/// <summary>Runs a step on a batch: turns a failure into a <see cref="StepFailedException"/> and times the computation.</summary>
internal sealed class StepProcessor : IBatchProcessor
{
    private readonly string _pipeline;
    private readonly string _node;
    private readonly IStep _step;
    private readonly bool _readsPosition;

    public StepProcessor(string pipeline, string node, IStep step, bool readsPosition)
    {
        _pipeline = pipeline;
        _node = node;
        _step = step;
        _readsPosition = readsPosition;
    }

    public async ValueTask<StepOutput> ProcessAsync(Batch batch, CancellationToken cancellationToken)
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

        return new StepOutput(batch.With(output), Replayed: false, Stopwatch.GetTimestamp() - started);
    }
}
