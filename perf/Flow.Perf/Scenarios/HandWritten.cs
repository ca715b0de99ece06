using System.Threading.Tasks.Dataflow;
using Flow.Batches;

namespace Flow.Perf.Scenarios;

/// <summary>
/// Scenario (a)'s baseline: Generate → Filter <c>value &gt; 500</c> → Compute <c>scaled = value * 2</c>
/// → count, written directly on TPL Dataflow the way one would by hand: the same <see cref="Record"/>s
/// (same seed, same values), batches of 500, bounded blocks with the capacities Flow uses, and the
/// per-record logic as plain C# instead of compiled expressions.
/// </summary>
internal static class HandWritten
{
    public static async Task<long> RunAsync(long count, int seed, int batchSize)
    {
        var options = new ExecutionDataflowBlockOptions { BoundedCapacity = 2, EnsureOrdered = true, SingleProducerConstrained = true };
        var propagate = new DataflowLinkOptions { PropagateCompletion = true };

        var filter = new TransformBlock<List<Record>, List<Record>>(batch =>
        {
            var output = new List<Record>(batch.Count);
            foreach (var record in batch)
            {
                if (record["value"] is double value && value > 500)
                {
                    output.Add(record);
                }
            }

            return output;
        }, options);

        var compute = new TransformBlock<List<Record>, List<Record>>(batch =>
        {
            foreach (var record in batch)
            {
                record.Set("scaled", record["value"] is double value ? value * 2 : null);
            }

            return batch;
        }, options);

        long seen = 0;
        var sink = new ActionBlock<List<Record>>(batch => seen += batch.Count, new ExecutionDataflowBlockOptions { BoundedCapacity = 2 });
        filter.LinkTo(compute, propagate);
        compute.LinkTo(sink, propagate);

        var producer = Task.Run(async () =>
        {
            var random = new Random(seed);
            var buffer = new List<Record>(batchSize);
            for (var i = 0L; i < count; i++)
            {
                var record = new Record(2);
                record.Set("id", i);
                record.Set("value", Math.Round(random.NextDouble() * 1000, 3));
                buffer.Add(record);
                if (buffer.Count == batchSize)
                {
                    await filter.SendAsync(buffer).ConfigureAwait(false);
                    buffer = new List<Record>(batchSize);
                }
            }

            if (buffer.Count > 0)
            {
                await filter.SendAsync(buffer).ConfigureAwait(false);
            }

            filter.Complete();
        });

        await producer.ConfigureAwait(false);
        await sink.Completion.ConfigureAwait(false);
        return seen;
    }
}
