using System.Security.Cryptography;

namespace Flow.Caching;

/// <summary>
/// The hash behind cache keys: SHA-256 (in-box, hardware accelerated), cut to 128 bits and written
/// as 32 lowercase hex characters. 128 bits leave no practical chance of two batches colliding.
/// </summary>
internal static class CacheHash
{
    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>The hash of a batch's bytes and its position, for steps whose output depends on where the batch sits.</summary>
    public static string Of(ReadOnlySpan<byte> data, BatchId position)
    {
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hasher.AppendData(data);
        hasher.AppendData(System.Text.Encoding.UTF8.GetBytes($"\0position:{position.Source.Length}:{position.Source}:{position.Index}:{position.Offset}"));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        hasher.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
