using System.Diagnostics;
using Flow.Batches;
using Flow.Caching;
using Flow.Serialization;
using Xunit.Abstractions;

namespace Flow.Tests.Serialization;

/// <summary>
/// Prints the serializer's throughput on flights-like 500-record batches. It measures; it asserts no
/// timing (machines differ), only that every batch came back whole.
/// </summary>
public sealed class BatchSerializerThroughputTests(ITestOutputHelper output)
{
    private const int BatchSize = 500;
    private const int Batches = 40;

    [Fact]
    public void SerializeAndDeserialize_FlightsBatches_PrintsRecordsPerSecond()
    {
        var batches = Enumerable.Range(0, Batches)
            .Select(b => (IReadOnlyList<Record>)Enumerable.Range(b * BatchSize, BatchSize).Select(BatchSerializerTests.Flight).ToList())
            .ToList();
        var payloads = batches.Select(BatchSerializer.Serialize).ToList();
        var codec = new CacheEntryCodec();
        var entries = payloads.Select(p => codec.Encode(p, DateTimeOffset.UnixEpoch)).ToList();

        // Tiered JIT needs a warm-up, and a shared machine adds noise: the best of several rounds is
        // the closest to what the code can do on one free core.
        var serialize = Best(() => Serialize(batches));
        var deserialize = Best(() => Deserialize(payloads));
        var decode = Best(() => DecodeAndDeserialize(codec, entries));

        var records = (double)(Batches * BatchSize);
        output.WriteLine($"serialize:            {serialize:N0} records/s");
        output.WriteLine($"deserialize:          {deserialize:N0} records/s");
        output.WriteLine($"decode + deserialize: {decode:N0} records/s (entry codec: checksum, inflate)");
        output.WriteLine($"payload:              {payloads.Sum(p => p.Length) / records:F2} bytes/record");
        output.WriteLine($"cache entry:          {entries.Sum(e => e.Length) / records:F2} bytes/record (compressed, with header)");
        Assert.All(payloads, p => Assert.Equal(BatchSize, BatchSerializer.Deserialize(p).Count));
    }

    private static long Serialize(List<IReadOnlyList<Record>> batches)
    {
        long n = 0;
        foreach (var batch in batches)
        {
            n += BatchSerializer.Serialize(batch).Length > 0 ? batch.Count : 0;
        }

        return n;
    }

    private static long Deserialize(List<byte[]> payloads)
    {
        long n = 0;
        foreach (var payload in payloads)
        {
            n += BatchSerializer.Deserialize(payload).Count;
        }

        return n;
    }

    private static long DecodeAndDeserialize(CacheEntryCodec codec, List<byte[]> entries)
    {
        long n = 0;
        foreach (var entry in entries)
        {
            Assert.True(codec.TryDecode(entry, out var payload, out _, out _));
            n += BatchSerializer.Deserialize(payload).Count;
        }

        return n;
    }

    private static double Best(Func<long> pass)
    {
        var best = 0.0;
        for (var round = 0; round < 6; round++)
        {
            long records = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromMilliseconds(250))
            {
                records += pass();
            }

            best = Math.Max(best, records / watch.Elapsed.TotalSeconds);
        }

        return best;
    }
}
