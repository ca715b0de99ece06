using Flow.Batches;
using Flow.Steps;

namespace Flow;

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
        var records = batch.Records;

        // Most batches keep every record as it is: then the input list is the output, no copy.
        List<Record>? output = null;
        for (var i = 0; i < records.Count; i++)
        {
            var result = Process(records[i]);
            if (output is null && ReferenceEquals(result, records[i]))
            {
                continue;
            }

            output ??= new List<Record>(records.Take(i));
            if (result is not null)
            {
                output.Add(result);
            }
        }

        return new ValueTask<IReadOnlyList<Record>>(output ?? records);
    }

    /// <summary>Processes one record: return it (changed or not), a new record, or null to drop it.</summary>
    protected abstract Record? Process(Record record);
}
