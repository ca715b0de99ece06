using Flow.Batches;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Sleep</c>: waits <c>PerRecord</c> times the batch's size plus <c>PerBatch</c>, and passes
/// the batch through: a stand-in for an expensive step, for demos, tests and benchmarks.
/// </summary>
internal sealed class SleepStep : IStep
{
    private readonly TimeSpan _perRecord;
    private readonly TimeSpan _perBatch;

    public SleepStep(NodeParameters parameters)
    {
        _perRecord = parameters.GetDuration("PerRecord") ?? TimeSpan.Zero;
        _perBatch = parameters.GetDuration("PerBatch") ?? TimeSpan.Zero;
        if (_perRecord == TimeSpan.Zero && _perBatch == TimeSpan.Zero)
        {
            throw parameters.Error("PerRecord", "set PerRecord and/or PerBatch to a duration above zero");
        }
    }

    public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        var delay = _perBatch + (_perRecord * batch.Count);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        return batch.Records;
    }
}
