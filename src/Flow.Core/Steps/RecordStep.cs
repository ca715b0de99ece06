using Flow.Batches;

namespace Flow.Steps;

/// <summary>
/// Base class for steps that work one record at a time: return the (possibly changed) record,
/// or null to drop it.
/// </summary>
public abstract class RecordStep : IStep
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var output = new List<Record>(batch.Count);
        foreach (var record in batch.Records)
        {
            var result = Process(record);
            if (result is not null)
            {
                output.Add(result);
            }
        }

        return new ValueTask<IReadOnlyList<Record>>(output);
    }

    /// <summary>Processes one record: return it (changed or not), a new record, or null to drop it.</summary>
    protected abstract Record? Process(Record record);
}
