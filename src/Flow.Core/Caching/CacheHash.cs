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
}
