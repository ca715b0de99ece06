using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Flow.Execution;

/// <summary>
/// The <c>Flow</c> meter, readable with <c>dotnet-counters monitor --counters Flow -n flow</c>:
/// batches and records per node, cache hits, misses and waits per step. Counted per batch, never per record.
/// </summary>
internal static class FlowMetrics
{
    public const string MeterName = "Flow";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Batches = Meter.CreateCounter<long>("flow.batches", "{batch}", "Batches a node finished");

    private static readonly Counter<long> RecordsIn = Meter.CreateCounter<long>("flow.records.in", "{record}", "Records a node received");

    private static readonly Counter<long> RecordsOut = Meter.CreateCounter<long>("flow.records.out", "{record}", "Records a node emitted");

    private static readonly Counter<long> CacheHits = Meter.CreateCounter<long>("flow.cache.hits", "{batch}", "Batches a step replayed from the cache");

    private static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>("flow.cache.misses", "{batch}", "Batches a step computed");

    private static readonly Counter<long> CacheWaits = Meter.CreateCounter<long>("flow.cache.waits", "{batch}", "Batches a step missed and then replayed from the entry another worker computed meanwhile");

    public static void Batch(string pipeline, string node, long recordsIn, long recordsOut)
    {
        var tags = Tags(pipeline, node);
        Batches.Add(1, tags);
        RecordsIn.Add(recordsIn, tags);
        RecordsOut.Add(recordsOut, tags);
    }

    public static void Hit(string pipeline, string node) => CacheHits.Add(1, Tags(pipeline, node));

    public static void Miss(string pipeline, string node) => CacheMisses.Add(1, Tags(pipeline, node));

    public static void Wait(string pipeline, string node) => CacheWaits.Add(1, Tags(pipeline, node));

    private static TagList Tags(string pipeline, string node) => new()
    {
        { "pipeline", pipeline },
        { "node", node },
    };
}
