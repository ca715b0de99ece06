using Flow.Execution;
using Flow.Batches;
using Flow.Steps;

namespace Flow;

/// <summary>
/// Base class for steps that work one record at a time: return the (possibly changed) record,
/// or null to drop it.
/// </summary>
public abstract class RecordStep : IStep, IRecordIsolatingStep
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

            if (output is null)
            {
                output = new List<Record>(records.Count);
                for (var kept = 0; kept < i; kept++)
                {
                    output.Add(records[kept]);
                }
            }

            if (result is not null)
            {
                output.Add(result);
            }
        }

        return new ValueTask<IReadOnlyList<Record>>(output ?? records);
    }

    bool IRecordIsolatingStep.IsolatesRecords => true;

    // With an error sink: each record on its own, a copy taken first, since Process may change the
    // record before it throws and the error sink gets the record as it came.
    ValueTask<IsolatedOutput> IRecordIsolatingStep.ProcessIsolatingAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = batch.Records;
        var output = new List<Record>(records.Count);
        List<RecordFailure>? failures = null;
        for (var i = 0; i < records.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var original = records[i].Clone();
            try
            {
                if (Process(records[i]) is { } result)
                {
                    output.Add(result);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                (failures ??= new List<RecordFailure>()).Add(new RecordFailure(i, original, ex));
            }
        }

        return new ValueTask<IsolatedOutput>(new IsolatedOutput(output, failures ?? (IReadOnlyList<RecordFailure>)Array.Empty<RecordFailure>()));
    }

    /// <summary>Processes one record: return it (changed or not), a new record, or null to drop it.</summary>
    protected abstract Record? Process(Record record);
}
