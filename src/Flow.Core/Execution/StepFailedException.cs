using Flow.Batches;
using Flow.Execution;

namespace Flow;

/// <summary>A node failed on a batch. The message names the pipeline, the node, the batch and its first record.</summary>
internal sealed class StepFailedException : Exception
{
    private const int MaxRecordLength = 500;

    /// <param name="pipeline">The pipeline.</param>
    /// <param name="node">The node that failed.</param>
    /// <param name="batch">The batch it failed on.</param>
    /// <param name="inner">What went wrong.</param>
    /// <param name="firstRecord">The batch's first record as it was before the node changed it, when known.</param>
    internal StepFailedException(string pipeline, string node, Batch batch, Exception inner, string? firstRecord = null)
        : base(Describe(pipeline, node, batch, inner, firstRecord), inner)
    {
        Pipeline = pipeline;
        Node = node;
        BatchId = batch.Id;
    }

    /// <summary>The pipeline.</summary>
    public string Pipeline { get; }

    /// <summary>The node that failed.</summary>
    public string Node { get; }

    /// <summary>The batch it failed on.</summary>
    public BatchId BatchId { get; }

    private static string Describe(string pipeline, string node, Batch batch, Exception inner, string? firstRecord)
    {
        var first = firstRecord ?? (batch.Count > 0 ? batch.Records[0].ToString() : "(empty batch)");
        if (first.Length > MaxRecordLength)
        {
            first = first[..MaxRecordLength] + "...";
        }

        return $"pipeline '{pipeline}', node '{node}', batch {batch.Id.Index} of source '{batch.Id.Source}' "
               + $"(records {batch.Id.Offset}..{batch.Id.Offset + batch.Count - 1}): {inner.GetBaseException().Message}; first record: {first}";
    }
}
