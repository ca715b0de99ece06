using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using K4os.Compression.LZ4;

namespace Flow.Caching;

/// <summary>
/// Turns a serialized payload into the bytes a cache store keeps, and back, detecting corruption,
/// truncation and (with a signing key) entries this worker did not write.
/// </summary>
/// <remarks>
/// <para>Entry layout (version 1, all integers little-endian):</para>
/// <code>
/// offset size
///  0      4  magic "FLCE"
///  4      1  entry format version (1)
///  5      1  flags: bit0 = body is raw Deflate, bit2 = body is an LZ4 block (at most one of the
///            two), bit1 = checksum is an HMAC; other bits 0
///  6      8  created-at, unix milliseconds (int64)
/// 14      4  payload length before compression (int32, at most MaxPayloadLength)
/// 18     32  SHA-256, or HMAC-SHA256 with the signing key when signed, over bytes 0..17 then the body
/// 50      …  body: the payload as an LZ4 block (written since LZ4 replaced Deflate) or raw Deflate
///            (RFC 1951; read, no longer written) when that makes it smaller, else the payload as is
/// </code>
/// <para>Decoding verifies the checksum (in constant time) before looking at the body. A codec with
/// a signing key accepts only entries signed with that key; a codec without one rejects signed entries,
/// since it could not tell a forged signature from a real one.</para>
/// <para>LZ4 (fast level) rather than Deflate: decoding is the warm run's hot path and encoding is on
/// a cold run's, and LZ4 does both several times faster for entries a little larger
/// (docs/cache-format.md has the numbers). Entries written with Deflate by an earlier version are
/// still read. No second checksum inside the body: the SHA-256 covers it.</para>
/// </remarks>
internal sealed class CacheEntryCodec
{
    /// <summary>The entry format version this codec writes and reads.</summary>
    public const byte EntryFormatVersion = 2;

    /// <summary>Size of the fixed header, checksum included.</summary>
    public const int HeaderLength = 50;

    /// <summary>Largest payload accepted either way (256 MB): a corrupt length never allocates more.</summary>
    public const int MaxPayloadLength = 256 * 1024 * 1024;

    /// <summary>The body is raw Deflate (entries written before LZ4; read only).</summary>
    internal const byte FlagDeflate = 0x01;
    internal const byte FlagSigned = 0x02;

    /// <summary>The body is an LZ4 block.</summary>
    internal const byte FlagLz4 = 0x04;

    private const int ChecksumOffset = 18;
    private const int ChecksumLength = 32;

    // Below this, compression cannot pay for its own framing; the payload is stored as is.
    private const int MinCompressLength = 64;

    private static ReadOnlySpan<byte> Magic => "FLCE"u8;

    private readonly byte[]? _signingKey;

    /// <summary>Creates a codec; with <paramref name="signingKey"/>, entries are signed and only entries signed with it are accepted.</summary>
    public CacheEntryCodec(byte[]? signingKey = null)
    {
        if (signingKey is { Length: 0 })
        {
            throw new ArgumentException("A signing key must not be empty.", nameof(signingKey));
        }

        _signingKey = signingKey is null ? null : (byte[])signingKey.Clone();
    }

    /// <summary>Whether this codec signs entries (and accepts only signed ones).</summary>
    public bool IsSigning => _signingKey is not null;

    /// <summary>
    /// Encodes <paramref name="payload"/> into an entry. With a <paramref name="key"/>, the checksum
    /// (or signature) covers the key too, so an entry copied under another key is rejected.
    /// </summary>
    public byte[] Encode(ReadOnlySpan<byte> payload, DateTimeOffset createdAt, CacheKey key = default)
    {
        if (payload.Length > MaxPayloadLength)
        {
            throw new ArgumentException($"A cache payload is limited to {MaxPayloadLength} bytes; this one has {payload.Length}.", nameof(payload));
        }

        var flags = _signingKey is null ? (byte)0 : FlagSigned;
        byte[] entry;
        int bodyLength;
        if (payload.Length >= MinCompressLength && TryCompress(payload, out var compressed, out var compressedLength))
        {
            entry = compressed;
            bodyLength = compressedLength;
            flags |= FlagLz4;
        }
        else
        {
            entry = GC.AllocateUninitializedArray<byte>(HeaderLength + payload.Length);
            payload.CopyTo(entry.AsSpan(HeaderLength));
            bodyLength = payload.Length;
        }

        var span = entry.AsSpan();
        Magic.CopyTo(span);
        span[4] = EntryFormatVersion;
        span[5] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], createdAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], payload.Length);
        ComputeChecksum(key, span[..ChecksumOffset], span.Slice(HeaderLength, bodyLength), (flags & FlagSigned) != 0, span.Slice(ChecksumOffset, ChecksumLength));
        return entry;
    }

    /// <summary>Compresses into a new entry array (header left blank); false when it would not shrink the payload.</summary>
    private static bool TryCompress(ReadOnlySpan<byte> payload, out byte[] entry, out int bodyLength)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(payload.Length));
        try
        {
            bodyLength = LZ4Codec.Encode(payload, scratch, LZ4Level.L00_FAST);
            if (bodyLength <= 0 || bodyLength >= payload.Length)
            {
                entry = [];
                return false;
            }

            entry = GC.AllocateUninitializedArray<byte>(HeaderLength + bodyLength);
            scratch.AsSpan(0, bodyLength).CopyTo(entry.AsSpan(HeaderLength));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Decodes an entry. Never throws for bad input: returns false with a short reason in
    /// <paramref name="error"/> (for the log line that reports the miss).
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> entry, out byte[] payload, out DateTimeOffset createdAt, out string? error) =>
        TryDecode(default, entry, out payload, out createdAt, out error);

    /// <summary>Decodes an entry read under <paramref name="key"/>; an entry written under another key fails its checksum.</summary>
    public bool TryDecode(CacheKey key, ReadOnlySpan<byte> entry, out byte[] payload, out DateTimeOffset createdAt, out string? error)
    {
        payload = [];
        createdAt = default;
        if (entry.Length < HeaderLength)
        {
            return Fail("truncated", out error);
        }

        if (!entry[..4].SequenceEqual(Magic))
        {
            return Fail("bad magic", out error);
        }

        var version = entry[4];
        if (version != EntryFormatVersion)
        {
            return Fail($"unsupported version {version}", out error);
        }

        var flags = entry[5];
        if ((flags & ~(FlagDeflate | FlagLz4 | FlagSigned)) != 0 || (flags & (FlagDeflate | FlagLz4)) == (FlagDeflate | FlagLz4))
        {
            return Fail($"unknown flags 0x{flags:x2}", out error);
        }

        var signed = (flags & FlagSigned) != 0;
        if (signed && _signingKey is null)
        {
            return Fail("signed entry but no signing key", out error);
        }

        if (!signed && _signingKey is not null)
        {
            return Fail("unsigned entry but a signing key is required", out error);
        }

        var createdMs = BinaryPrimitives.ReadInt64LittleEndian(entry[6..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(entry[14..]);
        if (length < 0 || length > MaxPayloadLength)
        {
            return Fail($"payload length {length} out of range", out error);
        }

        var body = entry[HeaderLength..];
        Span<byte> expected = stackalloc byte[ChecksumLength];
        ComputeChecksum(key, entry[..ChecksumOffset], body, signed, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, entry.Slice(ChecksumOffset, ChecksumLength)))
        {
            return Fail(signed ? "not signed by this worker's key" : "checksum mismatch", out error);
        }

        // Checked after the checksum: a valid checksum means this codec's writer produced the value.
        if (createdMs < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || createdMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return Fail("created-at out of range", out error);
        }

        if ((flags & (FlagDeflate | FlagLz4)) == 0)
        {
            if (body.Length != length)
            {
                return Fail("decompressed length mismatch", out error);
            }

            payload = body.ToArray();
        }
        else
        {
            // An LZ4 block expands at most about 255 times: a tiny entry declaring a huge payload is refused before anything is allocated.
            if ((flags & FlagLz4) != 0 && length > (body.Length * 255L) + 16)
            {
                return Fail($"payload length {length} is more than a {body.Length}-byte LZ4 body can hold", out error);
            }

            var result = GC.AllocateUninitializedArray<byte>(length);
            var decompressError = (flags & FlagLz4) != 0 ? DecompressLz4(body, result) : Inflate(body, result);
            if (decompressError is not null)
            {
                return Fail(decompressError, out error);
            }

            payload = result;
        }

        createdAt = DateTimeOffset.FromUnixTimeMilliseconds(createdMs);
        error = null;
        return true;
    }

    /// <summary>Fills <paramref name="destination"/> from an LZ4 block; returns the reason it could not, or null.</summary>
    /// <remarks>The decoder checks every offset and length against both buffers: a crafted block fails, it never reads or writes outside them.</remarks>
    private static string? DecompressLz4(ReadOnlySpan<byte> body, byte[] destination)
    {
        // The destination is exactly the declared length: the block must decode to that and no more.
        var written = LZ4Codec.Decode(body, destination);
        return written == destination.Length ? null : written < 0 ? "corrupt compressed body (or longer than its declared length)" : "decompressed length mismatch";
    }

    /// <summary>Fills <paramref name="destination"/> from a Deflate body; returns the reason it could not, or null.</summary>
    private static string? Inflate(ReadOnlySpan<byte> body, byte[] destination)
    {
        // DeflateStream reads from a stream, so the body is copied once into a pooled array.
        var copy = ArrayPool<byte>.Shared.Rent(body.Length);
        try
        {
            body.CopyTo(copy);
            using var deflate = new DeflateStream(new MemoryStream(copy, 0, body.Length, writable: false), CompressionMode.Decompress);

            // The destination is exactly the declared length: the body must fill it and end there.
            var read = deflate.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            Span<byte> extra = stackalloc byte[1];
            return read == destination.Length && deflate.Read(extra) == 0 ? null : "decompressed length mismatch";
        }
        catch (InvalidDataException)
        {
            return "corrupt compressed body";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private void ComputeChecksum(CacheKey key, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, bool signed, Span<byte> destination)
    {
        using var hash = signed
            ? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _signingKey!)
            : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (key.Signature is not null)
        {
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes(key.ToString()));
        }

        hash.AppendData(header);
        hash.AppendData(body);
        hash.GetHashAndReset(destination);
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }
}
