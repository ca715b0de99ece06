using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Flow.Execution;

/// <summary>
/// The <c>Flow</c> meter, readable with <c>dotnet-counters monitor --counters Flow -n flow</c> and
/// exported for Prometheus on <c>/metrics</c> when <c>Flow:Http:Urls</c> is set. Every instrument is
/// tagged <c>pipeline</c> and <c>node</c> and counted per batch, never per record. The names here
/// are the ones README's metrics table lists (Prometheus: dots become underscores, counters get
/// <c>_total</c>, the histogram <c>_seconds</c>).
/// </summary>
internal static class FlowMetrics
{
    public const string MeterName = "Flow";

    public const string BatchesName = "flow.batches";
    public const string RecordsInName = "flow.records.in";
    public const string RecordsOutName = "flow.records.out";
    public const string CacheHitsName = "flow.cache.hits";
    public const string CacheMissesName = "flow.cache.misses";
    public const string CacheErrorsName = "flow.cache.errors";
    public const string BatchesFailedName = "flow.batches.failed";
    public const string StepDurationName = "flow.step.duration";
    public const string BatchesInFlightName = "flow.batches.in_flight";
    public const string CacheWaitsName = "flow.cache.waits";
    public const string RecordsErrorsName = "flow.records.errors";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Batches = Meter.CreateCounter<long>(BatchesName, "{batch}", "Batches a node finished");

    private static readonly Counter<long> RecordsIn = Meter.CreateCounter<long>(RecordsInName, "{record}", "Records a node received");

    private static readonly Counter<long> RecordsOut = Meter.CreateCounter<long>(RecordsOutName, "{record}", "Records a node emitted");

    private static readonly Counter<long> CacheHits = Meter.CreateCounter<long>(CacheHitsName, "{batch}", "Batches a step replayed from the cache");

    private static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>(CacheMissesName, "{batch}", "Batches a step computed");

    private static readonly Counter<long> CacheErrors = Meter.CreateCounter<long>(CacheErrorsName, "{call}", "Cache store calls of a step that failed or were cut off (the batch ran uncached)");

    private static readonly Counter<long> BatchesFailed = Meter.CreateCounter<long>(BatchesFailedName, "{batch}", "Batches a step failed on that the run went on without (delivered again by their source)");

    private static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        StepDurationName,
        "s",
        "Time a step took for one batch, a replay from the cache included",
        tags: null,
        // In seconds: the exporters' default buckets are meant for milliseconds.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static readonly UpDownCounter<long> BatchesInFlight = Meter.CreateUpDownCounter<long>(BatchesInFlightName, "{batch}", "Batches a step is working on now");

    private static readonly Counter<long> CacheWaits = Meter.CreateCounter<long>(CacheWaitsName, "{batch}", "Batches a step missed and then replayed from the entry another worker computed meanwhile");

    private static readonly Counter<long> RecordsErrors = Meter.CreateCounter<long>(RecordsErrorsName, "{record}", "Records a node failed on and sent to its error sink (the run went on)");

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

    public static void CacheError(string pipeline, string node) => CacheErrors.Add(1, Tags(pipeline, node));

    public static void BatchFailed(string pipeline, string node) => BatchesFailed.Add(1, Tags(pipeline, node));

    public static void ErrorsRouted(string pipeline, string node, long records) => RecordsErrors.Add(records, Tags(pipeline, node));

    public static void StepTook(string pipeline, string node, TimeSpan elapsed) => StepDuration.Record(elapsed.TotalSeconds, Tags(pipeline, node));

    public static void InFlight(string pipeline, string node, int change) => BatchesInFlight.Add(change, Tags(pipeline, node));

    private static TagList Tags(string pipeline, string node) => new()
    {
        { "pipeline", pipeline },
        { "node", node },
    };
}
