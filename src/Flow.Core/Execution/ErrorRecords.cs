namespace Flow.Execution;

/// <summary>
/// The records an error sink gets: one per failed record, naming the pipeline, the node, the batch
/// (its source, index and the record's place in it) and the error, with the record as the node got it.
/// </summary>
/// <example>
/// <c>{"pipeline":"flights","node":"enrich","source":"flights","batch":3,"index":17,"error":"...","record":{...}}</c>
/// </example>
internal static class ErrorRecords
{
    public static List<Record> Of(string pipeline, string node, BatchId batch, IReadOnlyList<RecordFailure> failures)
    {
        var records = new List<Record>(failures.Count);
        foreach (var failure in failures)
        {
            var error = new Record(7);
            error.Set("pipeline", pipeline);
            error.Set("node", node);
            error.Set("source", batch.Source);
            error.Set("batch", batch.Index);
            error.Set("index", (long)failure.Index);
            error.Set("error", failure.Error.GetBaseException().Message);
            error.Set("record", failure.Record);
            records.Add(error);
        }

        return records;
    }

    /// <summary>Every record of a batch that failed as a whole, each with the batch's error.</summary>
    public static List<RecordFailure> All(IReadOnlyList<Record> records, Exception error)
    {
        var failures = new List<RecordFailure>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            failures.Add(new RecordFailure(i, records[i], error));
        }

        return failures;
    }
}
