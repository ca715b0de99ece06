using Flow.Batches;
using Flow.Steps;

namespace Flow.Core.Tests;

/// <summary>
/// Appends <c>/NAME</c> to every record's <c>path</c> field and waits a pseudo-random 0–20 ms per batch (a function of
/// the batch index and the step's salt), so with parallelism later batches often finish first.
/// </summary>
[ReadsBatchPosition]
internal sealed class JitterStep : IStep
{
    private readonly string _branch;
    private readonly int _salt;

    public JitterStep(string branch, int salt)
    {
        _branch = branch;
        _salt = salt;
    }

    public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        var delay = (int)(((batch.Id.Index * 7919) + (_salt * 104729)) % 21);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        foreach (var record in batch.Records)
        {
            record["path"] = (record["path"] as string) + "/" + _branch;
        }

        return batch.Records;
    }
}
