using BenchmarkDotNet.Attributes;
using Flow.Batches;
using Flow.Caching;
using Flow.Serialization;

namespace Flow.Perf.Benchmarks;

/// <summary>
/// The per-batch costs of the step cache on a 500-record flights batch: what a miss adds
/// (serialize input + hash, serialize output + encode) and what a hit costs (hash + decode + deserialize).
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private const int Records = 500;

    private List<Record> _records = null!;
    private byte[] _payload = null!;
    private byte[] _entry = null!;
    private CacheEntryCodec _codec = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _records = FlightsData.Load(Records);
        _payload = BatchSerializer.Serialize(_records);
        _codec = new CacheEntryCodec();
        _now = DateTimeOffset.UtcNow;
        _entry = _codec.Encode(_payload, _now);
    }

    /// <summary>SHA-256 (cut to 128 bits, hex) of the serialized batch: the input half of every cache key.</summary>
    [Benchmark]
    public string HashBatch() => CacheHash.Of(_payload);

    [Benchmark]
    public byte[] Serialize() => BatchSerializer.Serialize(_records);

    [Benchmark]
    public List<Record> Deserialize() => BatchSerializer.Deserialize(_payload);

    /// <summary>Checksum + LZ4 into a cache entry.</summary>
    [Benchmark]
    public byte[] Encode() => _codec.Encode(_payload, _now);

    /// <summary>Verify checksum + LZ4 decode.</summary>
    [Benchmark]
    public byte[] TryDecode()
    {
        if (!_codec.TryDecode(_entry, out var payload, out _, out var error))
        {
            throw new InvalidOperationException(error);
        }

        return payload;
    }
}
