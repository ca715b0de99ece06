using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks.Dataflow;

namespace Flow.Perf.Baselines;

/// <summary>
/// Baseline (a) of scenario 1 of <c>Flow.Perf all</c>: what a developer would write by hand with TPL
/// Dataflow for the 200k-flights work, no tuning. <c>JsonSerializer.DeserializeAsyncEnumerable&lt;JsonObject&gt;</c>
/// streams the array in batches of 1,000; bounded <c>TransformBlock</c>s filter (<c>delay &gt; 15</c>),
/// compute (<c>delay_hours = round(delay / 60, 2)</c>, <c>route = origin + '-' + destination</c>; two
/// in parallel, order kept) and select (<c>date, route, delay_hours, distance</c>); an <c>ActionBlock</c>
/// writes JSON Lines. The same bytes as Flow's pipeline in the runner.
/// </summary>
/// <remarks>Usage: <c>Flow.Perf.DataflowBaseline IN.json OUT.jsonl</c>; prints "records in, records out, seconds".</remarks>
public static class Program
{
    private const int BatchSize = 1000;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2)
        {
            await Console.Error.WriteLineAsync("usage: Flow.Perf.DataflowBaseline IN.json OUT.jsonl").ConfigureAwait(false);
            return 2;
        }

        var started = Stopwatch.GetTimestamp();
        var (read, written) = await RunAsync(args[0], args[1]).ConfigureAwait(false);
        Console.WriteLine($"{read} {written} {Stopwatch.GetElapsedTime(started).TotalSeconds:F3}");
        return 0;
    }

    private static async Task<(long Read, long Written)> RunAsync(string input, string output)
    {
        var bounded = new ExecutionDataflowBlockOptions { BoundedCapacity = 4 };
        var link = new DataflowLinkOptions { PropagateCompletion = true };

        var filter = new TransformBlock<List<JsonObject>, List<JsonObject>>(
            batch => batch.Where(r => (long)r["delay"]! > 15).ToList(), bounded);
        var compute = new TransformBlock<List<JsonObject>, List<JsonObject>>(
            batch =>
            {
                foreach (var r in batch)
                {
                    r["delay_hours"] = Math.Round((long)r["delay"]! / 60.0, 2, MidpointRounding.AwayFromZero);
                    r["route"] = (string)r["origin"]! + "-" + (string)r["destination"]!;
                }

                return batch;
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 4, MaxDegreeOfParallelism = 2, EnsureOrdered = true });
        var select = new TransformBlock<List<JsonObject>, List<JsonObject>>(
            batch => batch.Select(r => new JsonObject
            {
                ["date"] = (string?)r["date"],
                ["route"] = (string?)r["route"],
                ["delay_hours"] = (double)r["delay_hours"]!,
                ["distance"] = (long)r["distance"]!,
            }).ToList(),
            bounded);

        long written = 0;
        await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        await using var writer = new Utf8JsonWriter(file, WriterOptions);
        var sink = new ActionBlock<List<JsonObject>>(
            batch =>
            {
                foreach (var r in batch)
                {
                    r.WriteTo(writer);
                    writer.Flush();
                    writer.Reset();
                    file.WriteByte((byte)'\n');
                    written++;
                }
            },
            bounded);

        filter.LinkTo(compute, link);
        compute.LinkTo(select, link);
        select.LinkTo(sink, link);

        long read = 0;
        await using (var stream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            var batch = new List<JsonObject>(BatchSize);
            await foreach (var record in JsonSerializer.DeserializeAsyncEnumerable<JsonObject>(stream).ConfigureAwait(false))
            {
                batch.Add(record!);
                read++;
                if (batch.Count == BatchSize)
                {
                    await filter.SendAsync(batch).ConfigureAwait(false);
                    batch = new List<JsonObject>(BatchSize);
                }
            }

            if (batch.Count > 0)
            {
                await filter.SendAsync(batch).ConfigureAwait(false);
            }
        }

        filter.Complete();
        await sink.Completion.ConfigureAwait(false);
        return (read, written);
    }
}
