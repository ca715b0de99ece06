using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Flow.Serialization;
using K4os.Compression.LZ4;

namespace Flow.Perf.Benchmarks;

/// <summary>
/// The cache entry body's compression, LZ4 (what the codec writes) against raw Deflate Fastest
/// (what it wrote before and still reads), on one 500-record flights payload: each way, and the
/// size (printed by the set-up).
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private byte[] _payload = null!;
    private byte[] _lz4 = null!;
    private byte[] _deflate = null!;
    private byte[] _scratch = null!;
    private byte[] _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _payload = BatchSerializer.Serialize(FlightsData.Load(500));
        _scratch = new byte[LZ4Codec.MaximumOutputSize(_payload.Length)];
        _output = new byte[_payload.Length];
        _lz4 = _scratch.AsSpan(0, Lz4Encode()).ToArray();
        _deflate = DeflateEncode();
        Console.WriteLine($"// payload {_payload.Length} B; LZ4 {_lz4.Length} B ({(double)_payload.Length / _lz4.Length:F2}x); Deflate {_deflate.Length} B ({(double)_payload.Length / _deflate.Length:F2}x)");
    }

    [Benchmark]
    public int Lz4Encode() => LZ4Codec.Encode(_payload, _scratch, LZ4Level.L00_FAST);

    [Benchmark]
    public int Lz4Decode() => LZ4Codec.Decode(_lz4, _output);

    [Benchmark]
    public byte[] DeflateEncode()
    {
        var buffer = new MemoryStream(_payload.Length / 2);
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(_payload);
        }

        return buffer.ToArray();
    }

    [Benchmark]
    public int DeflateDecode()
    {
        using var deflate = new DeflateStream(new MemoryStream(_deflate, writable: false), CompressionMode.Decompress);
        return deflate.ReadAtLeast(_output, _output.Length, throwOnEndOfStream: false);
    }
}
