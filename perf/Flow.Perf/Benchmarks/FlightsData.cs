using Flow.Batches;
using Flow.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Perf.Benchmarks;

/// <summary>The first records of samples/data/flights-20k.json (embedded in this assembly).</summary>
internal static class FlightsData
{
    public static List<Record> Load(int count)
    {
        using var stream = typeof(FlightsData).Assembly.GetManifestResourceStream("flights-20k.json")
                           ?? throw new InvalidOperationException("flights-20k.json is not embedded");
        return JsonArrayReader.Read(stream, "flights-20k.json", NullLogger.Instance).Take(count).ToList();
    }
}
