using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Flow.Caching;
using Flow.Serialization;
using Flow.Tests.Serialization;

namespace Flow.Tests.Caching;

public sealed class CacheEntryCodecTests
{
    private static readonly byte[] KeyA = Encoding.UTF8.GetBytes("worker key A, long enough to be a key");
    private static readonly byte[] KeyB = Encoding.UTF8.GetBytes("worker key B, long enough to be a key");
    private static readonly DateTimeOffset Created = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    public static TheoryData<string> Payloads => ["empty", "small", "batch", "random"];

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Encode_ThenTryDecode_RoundTrips(string kind)
    {
        var payload = Payload(kind);
        var codec = new CacheEntryCodec();

        var ok = codec.TryDecode(codec.Encode(payload, Created), out var back, out var createdAt, out var error);

        Assert.True(ok, error);
        Assert.Null(error);
        Assert.Equal(payload, back);
        Assert.Equal(Created, createdAt);
    }

    [Fact]
    public void TryDecode_UnderAnotherKey_IsRejected_SignedOrNot()
    {
        var payload = System.Text.Encoding.UTF8.GetBytes(new string('x', 300));
        var written = new CacheKey("aa11", "bb22");
        foreach (var codec in new[] { new CacheEntryCodec(), new CacheEntryCodec(System.Text.Encoding.UTF8.GetBytes("key")) })
        {
            var entry = codec.Encode(payload, DateTimeOffset.UnixEpoch, written);

            Assert.True(codec.TryDecode(written, entry, out var read, out _, out _));
            Assert.Equal(payload, read);
            Assert.False(codec.TryDecode(new CacheKey("aa11", "bb23"), entry, out _, out _, out var otherInput));
            Assert.False(codec.TryDecode(new CacheKey("aa12", "bb22"), entry, out _, out _, out var otherStep));
            Assert.NotNull(otherInput);
            Assert.NotNull(otherStep);
        }
    }

    [Fact]
    public void Encode_CompressiblePayload_StoresItCompressed()
    {
        var payload = Payload("batch");

        var entry = new CacheEntryCodec().Encode(payload, Created);

        Assert.Equal(CacheEntryCodec.FlagLz4, entry[5] & (CacheEntryCodec.FlagLz4 | CacheEntryCodec.FlagDeflate));
        Assert.True(entry.Length < payload.Length, $"{entry.Length} bytes for a {payload.Length}-byte payload");
    }

    [Fact]
    public void Encode_IncompressiblePayload_StoresItAsIs()
    {
        var payload = Payload("random");

        var entry = new CacheEntryCodec().Encode(payload, Created);

        Assert.Equal(0, entry[5] & (CacheEntryCodec.FlagLz4 | CacheEntryCodec.FlagDeflate));
        Assert.Equal(CacheEntryCodec.HeaderLength + payload.Length, entry.Length);
        Assert.Equal(payload, entry[CacheEntryCodec.HeaderLength..]);
    }

    [Fact]
    public void Encode_WritesDocumentedHeader()
    {
        var payload = Payload("batch");

        var entry = new CacheEntryCodec(KeyA).Encode(payload, Created);

        Assert.Equal("FLCE"u8.ToArray(), entry[..4]);
        Assert.Equal(CacheEntryCodec.EntryFormatVersion, entry[4]);
        Assert.Equal(CacheEntryCodec.FlagLz4 | CacheEntryCodec.FlagSigned, entry[5]);
        Assert.Equal(Created.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(6)));
        Assert.Equal(payload.Length, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(14)));
        var expected = HMACSHA256.HashData(KeyA, entry[..18].Concat(entry[CacheEntryCodec.HeaderLength..]).ToArray());
        Assert.Equal(expected, entry[18..50]);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void TryDecode_EveryTruncation_ReturnsFalse(string kind)
    {
        var codec = new CacheEntryCodec();
        var entry = codec.Encode(Payload(kind), Created);

        for (var length = 0; length < entry.Length; length++)
        {
            Assert.False(codec.TryDecode(entry.AsSpan(0, length), out _, out _, out var error), $"prefix of {length} bytes");
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Theory]
    [InlineData(false, "batch")]
    [InlineData(false, "random")]
    [InlineData(true, "batch")]
    [InlineData(true, "small")]
    public void TryDecode_AnySingleByteChange_ReturnsFalse(bool signed, string kind)
    {
        var codec = new CacheEntryCodec(signed ? KeyA : null);
        var entry = codec.Encode(Payload(kind), Created);

        foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (var i = 0; i < entry.Length; i++)
            {
                var damaged = (byte[])entry.Clone();
                damaged[i] ^= mask;

                Assert.False(codec.TryDecode(damaged, out var payload, out _, out var error), $"byte {i} ^ 0x{mask:x2} was accepted");
                Assert.False(string.IsNullOrEmpty(error));
                Assert.Empty(payload);
            }
        }
    }

    [Fact]
    public void TryDecode_BodyByteChanged_ReportsChecksumMismatch()
    {
        var codec = new CacheEntryCodec();
        var entry = codec.Encode(Payload("batch"), Created);
        entry[^1] ^= 0x10;

        Assert.False(codec.TryDecode(entry, out _, out _, out var error));
        Assert.Equal("checksum mismatch", error);
    }

    [Fact]
    public void TryDecode_SignedWithAnotherKey_IsRejected()
    {
        var entry = new CacheEntryCodec(KeyA).Encode(Payload("batch"), Created);

        Assert.False(new CacheEntryCodec(KeyB).TryDecode(entry, out _, out _, out var error));
        Assert.Equal("not signed by this worker's key", error);
    }

    [Fact]
    public void TryDecode_SignedEntryWithoutKey_IsRejected()
    {
        var entry = new CacheEntryCodec(KeyA).Encode(Payload("batch"), Created);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("signed entry but no signing key", error);
    }

    [Fact]
    public void TryDecode_UnsignedEntryWithKey_IsRejected()
    {
        var entry = new CacheEntryCodec().Encode(Payload("batch"), Created);

        Assert.False(new CacheEntryCodec(KeyA).TryDecode(entry, out _, out _, out var error));
        Assert.Equal("unsigned entry but a signing key is required", error);
    }

    [Fact]
    public void TryDecode_UnsignedEntryRelabelledAsSigned_IsRejectedByKeyHolder()
    {
        // Setting the signed flag on a plain-SHA-256 entry must not get it past a keyed codec.
        var entry = new CacheEntryCodec().Encode(Payload("batch"), Created);
        entry[5] |= CacheEntryCodec.FlagSigned;

        Assert.False(new CacheEntryCodec(KeyA).TryDecode(entry, out _, out _, out var error));
        Assert.Equal("not signed by this worker's key", error);
    }

    [Fact]
    public void TryDecode_SignedWithSameKey_IsAccepted()
    {
        var payload = Payload("batch");
        var entry = new CacheEntryCodec(KeyA).Encode(payload, Created);

        Assert.True(new CacheEntryCodec((byte[])KeyA.Clone()).TryDecode(entry, out var back, out _, out var error), error);
        Assert.Equal(payload, back);
    }

    [Fact]
    public void TryDecode_BadMagic_SaysSo()
    {
        var entry = new CacheEntryCodec().Encode(Payload("small"), Created);
        entry[0] = (byte)'X';

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("bad magic", error);
    }

    [Fact]
    public void TryDecode_FutureVersion_SaysWhichVersion()
    {
        var entry = new CacheEntryCodec().Encode(Payload("small"), Created);
        entry[4] = 7;

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("unsupported version 7", error);
    }

    [Fact]
    public void TryDecode_HugeDeclaredLength_IsRejectedBeforeAllocating()
    {
        var entry = new CacheEntryCodec().Encode(Payload("batch"), Created);
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), int.MaxValue);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.StartsWith("payload length", error);
    }

    [Fact]
    public void TryDecode_ValidChecksumWrongDeclaredLength_ReportsLengthMismatch()
    {
        // Forged with a correct SHA-256, as a buggy writer would: the length check still holds.
        var payload = Payload("batch");
        var entry = new CacheEntryCodec().Encode(payload, Created);
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), payload.Length - 1);
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("corrupt compressed body (or longer than its declared length)", error); // LZ4 cannot tell the two apart
    }

    [Fact]
    public void TryDecode_ValidChecksumLz4BlockShorterThanDeclared_ReportsLengthMismatch()
    {
        var payload = Payload("batch");
        var entry = new CacheEntryCodec().Encode(payload, Created);
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), payload.Length + 1);
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("decompressed length mismatch", error);
    }

    [Fact]
    public void TryDecode_DeflateEntryOfAnEarlierVersion_IsStillRead()
    {
        var payload = Payload("batch");
        var entry = DeflateEntry(payload, payload.Length);

        Assert.True(new CacheEntryCodec().TryDecode(entry, out var decoded, out var created, out var error), error);
        Assert.Equal(payload, decoded);
        Assert.Equal(Created, created);
    }

    [Fact]
    public void TryDecode_DeflateEntryWithWrongDeclaredLength_ReportsLengthMismatch()
    {
        var payload = Payload("batch");

        Assert.False(new CacheEntryCodec().TryDecode(DeflateEntry(payload, payload.Length - 1), out _, out _, out var error));
        Assert.Equal("decompressed length mismatch", error);
    }

    [Fact]
    public void TryDecode_BothCompressionFlags_AreUnknownFlags()
    {
        var payload = Payload("batch");
        var entry = DeflateEntry(payload, payload.Length);
        entry[5] |= CacheEntryCodec.FlagLz4;
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("unknown flags 0x05", error);
    }

    [Theory]
    [InlineData(CacheEntryCodec.FlagDeflate)]
    [InlineData(CacheEntryCodec.FlagLz4)]
    public void TryDecode_ValidChecksumGarbageBody_ReportsCorruptBody(byte compression)
    {
        var entry = new byte[CacheEntryCodec.HeaderLength + 64];
        "FLCE"u8.CopyTo(entry);
        entry[4] = CacheEntryCodec.EntryFormatVersion;
        entry[5] = compression;
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), 1000);
        entry.AsSpan(CacheEntryCodec.HeaderLength).Fill(0xFF);
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Contains(error, new[] { "corrupt compressed body", "corrupt compressed body (or longer than its declared length)", "decompressed length mismatch" });
    }

    [Fact]
    public void TryDecode_ValidChecksumLz4Bomb_StopsAtDeclaredLength()
    {
        // 10 MB of zeros declared as 100 bytes: the decoder stops at the 100-byte buffer's end.
        var zeros = new byte[10_000_000];
        var block = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(zeros.Length)];
        var blockLength = K4os.Compression.LZ4.LZ4Codec.Encode(zeros, block);
        var entry = new byte[CacheEntryCodec.HeaderLength + blockLength];
        "FLCE"u8.CopyTo(entry);
        entry[4] = CacheEntryCodec.EntryFormatVersion;
        entry[5] = CacheEntryCodec.FlagLz4;
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), 100);
        block.AsSpan(0, blockLength).CopyTo(entry.AsSpan(CacheEntryCodec.HeaderLength));
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("corrupt compressed body (or longer than its declared length)", error);
    }

    [Fact]
    public void TryDecode_ValidChecksumDeflateBomb_StopsAtDeclaredLength()
    {
        // 10 MB of zeros declared as 100 bytes: decoding stops at 101 bytes, it does not inflate it all.
        var bomb = new MemoryStream();
        using (var deflate = new DeflateStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(new byte[10_000_000]);
        }

        var entry = new byte[CacheEntryCodec.HeaderLength + bomb.Length];
        "FLCE"u8.CopyTo(entry);
        entry[4] = CacheEntryCodec.EntryFormatVersion;
        entry[5] = CacheEntryCodec.FlagDeflate;
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), 100);
        bomb.ToArray().CopyTo(entry, CacheEntryCodec.HeaderLength);
        Rehash(entry);

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("decompressed length mismatch", error);
    }

    [Fact]
    public void TryDecode_TinyLz4BodyDeclaringAHugePayload_IsRefusedBeforeAllocating()
    {
        // A valid checksum over 10 body bytes that claim 200 MB: no LZ4 block expands that much.
        var entry = new byte[CacheEntryCodec.HeaderLength + 10];
        "FLCE"u8.CopyTo(entry);
        entry[4] = CacheEntryCodec.EntryFormatVersion;
        entry[5] = CacheEntryCodec.FlagLz4;
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), 200_000_000);
        Rehash(entry);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.False(new CacheEntryCodec().TryDecode(entry, out _, out _, out var error));
        Assert.Equal("payload length 200000000 is more than a 10-byte LZ4 body can hold", error);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Constructor_EmptyKey_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CacheEntryCodec([]));
    }

    [Fact]
    public void Constructor_KeyChangedAfterwards_DoesNotChangeTheCodec()
    {
        var key = (byte[])KeyA.Clone();
        var codec = new CacheEntryCodec(key);
        key[0] ^= 0xFF;

        var entry = codec.Encode(Payload("small"), Created);

        Assert.True(new CacheEntryCodec(KeyA).TryDecode(entry, out _, out _, out var error), error);
    }

    /// <summary>An entry as the Deflate writer of earlier versions made it (unsigned, no key).</summary>
    private static byte[] DeflateEntry(byte[] payload, int declaredLength)
    {
        var body = new MemoryStream();
        using (var deflate = new DeflateStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(payload);
        }

        var entry = new byte[CacheEntryCodec.HeaderLength + body.Length];
        "FLCE"u8.CopyTo(entry);
        entry[4] = CacheEntryCodec.EntryFormatVersion;
        entry[5] = CacheEntryCodec.FlagDeflate;
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(6), Created.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(14), declaredLength);
        body.ToArray().CopyTo(entry, CacheEntryCodec.HeaderLength);
        Rehash(entry);
        return entry;
    }

    private static void Rehash(byte[] entry)
    {
        var hash = SHA256.HashData([.. entry[..18], .. entry[CacheEntryCodec.HeaderLength..]]);
        hash.CopyTo(entry, 18);
    }

    private static byte[] Payload(string kind) => kind switch
    {
        "empty" => [],
        "small" => BatchSerializer.Serialize([BatchSerializerTests.Flight(1)]),
        "batch" => BatchSerializer.Serialize(Enumerable.Range(0, 50).Select(BatchSerializerTests.Flight).ToList()),
        "random" => RandomBytes(700),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        return bytes;
    }
}
