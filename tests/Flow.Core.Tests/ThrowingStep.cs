using Flow.Batches;
using Flow.Steps;

namespace Flow.Core.Tests;

/// <summary>A pass-through step that throws on the batch holding the record whose <c>id</c> is <see cref="FailAtId"/>.</summary>
internal sealed class ThrowingStep : IStep
{
    public ThrowingStep(long failAtId) => FailAtId = failAtId;

    public long FailAtId { get; }

    public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (batch.Records.Any(r => r["id"] is long id && id == FailAtId))
        {
            throw new InvalidOperationException($"boom at id {FailAtId}");
        }

        return new ValueTask<IReadOnlyList<Record>>(batch.Records);
    }
}
