using System.Diagnostics;
using Flow.Batches;
using Flow.Steps;

namespace Flow.Execution;

/// <summary>
/// Runs a step on a batch: turns a failure into a <see cref="StepFailedException"/> and times the
/// computation. With an error sink, a failure does not fail the batch: the records it cost (one by
/// one for a step that works record by record, else the whole batch) come back as failures.
/// </summary>
internal sealed class StepProcessor : IBatchProcessor
{
    private readonly string _pipeline;
    private readonly string _node;
    private readonly IStep _step;
    private readonly bool _readsPosition;
    private readonly bool _routesErrors;

    public StepProcessor(string pipeline, string node, IStep step, bool readsPosition, bool routesErrors = false)
    {
        _pipeline = pipeline;
        _node = node;
        _step = step;
        _readsPosition = readsPosition;
        _routesErrors = routesErrors;
    }

    public async ValueTask<StepOutput> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (_routesErrors)
        {
            return await ProcessRoutingErrorsAsync(batch, started, cancellationToken).ConfigureAwait(false);
        }

        // The record as it came in: a step may change records in place before it fails on a later one.
        // A copy, written out only for a failure's message (as JSON it cost more than many steps' work on the batch).
        var first = batch.Count > 0 ? batch.Records[0].Clone() : null;
        IReadOnlyList<Record> output;
        try
        {
            output = await RunAsync(batch, cancellationToken).ConfigureAwait(false);
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
            throw new StepFailedException(_pipeline, _node, batch, ex, first?.ToString());
        }

        return new StepOutput(batch.With(output), Replayed: false, Stopwatch.GetTimestamp() - started);
    }

    private async ValueTask<IReadOnlyList<Record>> RunAsync(Batch batch, CancellationToken cancellationToken) =>
        // The step sees the batch's position only if it declared it (and then the position is in its key).
        await _step.ProcessAsync(batch.ForStep(_readsPosition), cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException("the step returned null instead of a list of records");

    private async ValueTask<StepOutput> ProcessRoutingErrorsAsync(Batch batch, long started, CancellationToken cancellationToken)
    {
        if (_step is IRecordIsolatingStep { IsolatesRecords: true } isolating)
        {
            var first = batch.Count > 0 ? batch.Records[0].Clone() : null;
            IsolatedOutput isolated;
            try
            {
                isolated = await isolating.ProcessIsolatingAsync(batch.ForStep(_readsPosition), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Record by record, only a failure outside every record gets here (records may be
                // half done): the run stops, as without an error sink.
                throw new StepFailedException(_pipeline, _node, batch, ex, first?.ToString());
            }

            return new StepOutput(batch.With(isolated.Records), Replayed: false, Stopwatch.GetTimestamp() - started)
            {
                Failures = isolated.Failures.Count > 0 ? isolated.Failures : null,
            };
        }

        // The batch as it came, for the error sink: the step may change records before it fails.
        var original = batch.Clone().Records;
        try
        {
            var output = await RunAsync(batch, cancellationToken).ConfigureAwait(false);
            return new StepOutput(batch.With(output), Replayed: false, Stopwatch.GetTimestamp() - started);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The step failed as a whole: so does every record of the batch, and nothing goes on.
            return new StepOutput(batch.With(Array.Empty<Record>()), Replayed: false, Stopwatch.GetTimestamp() - started)
            {
                Failures = ErrorRecords.All(original, ex),
            };
        }
    }
}
