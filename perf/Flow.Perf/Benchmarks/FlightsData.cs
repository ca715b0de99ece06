using System.Text.Json;
using Flow.Batches;
using Flow.Serialization;

namespace Flow.Perf.Benchmarks;

/// <summary>The first records of samples/data/flights-20k.json (embedded in this assembly).</summary>
internal static class FlightsData
{
    public static List<Record> Load(int count)
    {
        using var stream = typeof(FlightsData).Assembly.GetManifestResourceStream("flights-20k.json")
                           ?? throw new InvalidOperationException("flights-20k.json is not embedded");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.EnumerateArray().Take(count).Select(RecordJson.FromElement).ToList();
    }
}
