using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Flow.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Perf.Benchmarks;

/// <summary>
/// The JSON file readers over 20,000 flights held in memory: from a stream that can seek (a file:
/// chunks parsed on several threads) and from one that cannot (a pipe: one thread), JSON Lines and
/// a Json array. The ratio of the two is what the parallel parse buys on this machine's cores.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    private byte[] _lines = null!;
    private byte[] _array = null!;

    [GlobalSetup]
    public void Setup()
    {
        var records = FlightsData.Load(20_000);
        var lines = new StringBuilder();
        foreach (var record in records)
        {
            lines.Append(RecordJson.ToJson(record)).Append('\n');
        }

        _lines = Encoding.UTF8.GetBytes(lines.ToString());
        _array = Encoding.UTF8.GetBytes("[\n" + string.Join(",\n", lines.ToString().TrimEnd('\n').Split('\n')) + "\n]\n");
    }

    [Benchmark(Baseline = true)]
    public Task<int> JsonLinesPipe() => CountAsync(JsonLinesReader.ReadAsync(new PipeStream(_lines), "f.jsonl", NullLogger.Instance));

    [Benchmark]
    public Task<int> JsonLinesFile() => CountAsync(JsonLinesReader.ReadAsync(new MemoryStream(_lines, writable: false), "f.jsonl", NullLogger.Instance));

    [Benchmark]
    public Task<int> JsonArrayPipe() => CountAsync(JsonArrayReader.ReadAsync(new PipeStream(_array), "f.json", NullLogger.Instance));

    [Benchmark]
    public Task<int> JsonArrayFile() => CountAsync(JsonArrayReader.ReadAsync(new MemoryStream(_array, writable: false), "f.json", NullLogger.Instance));

    private static async Task<int> CountAsync(IAsyncEnumerable<Flow.Record> records)
    {
        var count = 0;
        await foreach (var record in records)
        {
            count += record.Count;
        }

        return count;
    }

    /// <summary>The bytes as a stream that cannot seek.</summary>
    private sealed class PipeStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
