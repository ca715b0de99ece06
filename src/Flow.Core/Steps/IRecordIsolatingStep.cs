using Flow.Execution;

namespace Flow.Steps;

/// <summary>
/// A step whose records succeed or fail one by one (each record's output depends on that record
/// alone), so that with an error sink a failing record costs only itself: the others of its batch go on.
/// </summary>
/// <remarks>
/// Steps without it fail as a whole: their whole batch goes to the error sink. <see cref="RecordStep"/>
/// and the <c>Http</c> step in <c>Record</c> mode implement it.
/// </remarks>
internal interface IRecordIsolatingStep
{
    /// <summary>Whether this instance works record by record (a step may do so in one mode and not another).</summary>
    bool IsolatesRecords { get; }

    /// <summary>
    /// Processes the batch, setting aside the records that fail instead of failing the batch. A
    /// failed record is reported as it came in (not as the step left it) and is not in the output.
    /// </summary>
    ValueTask<IsolatedOutput> ProcessIsolatingAsync(Batch batch, CancellationToken cancellationToken);
}

/// <summary>What a step made of a batch, setting aside the records it failed on.</summary>
/// <param name="Records">The output of the records that succeeded.</param>
/// <param name="Failures">The records that failed, in batch order; empty when none did.</param>
internal sealed record IsolatedOutput(IReadOnlyList<Record> Records, IReadOnlyList<RecordFailure> Failures);
