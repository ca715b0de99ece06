using Flow.Batches;
using Flow.Steps;

namespace Flow.Core.Tests;

/// <summary>A pass-through step that holds batch <see cref="AtBatch"/> until the test releases it.</summary>
[ReadsBatchPosition]
internal sealed class GateStep : IStep
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GateStep(long atBatch) => AtBatch = atBatch;

    public long AtBatch { get; }

    /// <summary>Completes when the held batch arrived.</summary>
    public Task Reached => _reached.Task;

    public void Release() => _release.TrySetResult();

    public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (batch.Id.Index == AtBatch)
        {
            _reached.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return batch.Records;
    }
}
