namespace Flow.Caching;

/// <summary>
/// Argument checks shared by the cache stores. Key parts become folder and file names in the file
/// store, so they are held to the documented shape (lowercase hex) everywhere: a key accepted by one
/// store is accepted by all.
/// </summary>
internal static class CacheStoreGuards
{
    /// <summary>Longest key part accepted (a SHA-512 in hex is 128 characters).</summary>
    public const int MaxKeyPartLength = 128;

    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Throws unless both parts of <paramref name="key"/> are 2 to 128 lowercase hex characters.</summary>
    public static void Key(CacheKey key)
    {
        HexPart(key.Signature, "signature");
        HexPart(key.Input, "input");
    }

    /// <summary>Throws unless <paramref name="signature"/> is 2 to 128 lowercase hex characters.</summary>
    public static void Signature(string signature) => HexPart(signature, "signature");

    /// <summary>Throws unless <paramref name="timeToLive"/> is positive or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static void TimeToLive(TimeSpan timeToLive)
    {
        if (timeToLive <= TimeSpan.Zero && timeToLive != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, "A cache entry's time to live must be positive (or infinite).");
        }
    }

    /// <summary>Throws unless <paramref name="timeToLive"/>, a lease's life, is positive.</summary>
    public static void LeaseTime(TimeSpan timeToLive)
    {
        if (timeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, "A lease's time to live must be positive.");
        }
    }

    /// <summary>The unix-millisecond instant an entry written at <paramref name="now"/> expires (<see cref="long.MaxValue"/>: never).</summary>
    public static long ExpiresAtMs(DateTimeOffset now, TimeSpan timeToLive)
    {
        if (timeToLive == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var ttlMs = (long)Math.Ceiling(timeToLive.TotalMilliseconds);
        return nowMs > long.MaxValue - ttlMs ? long.MaxValue : nowMs + ttlMs;
    }

    /// <summary>Throws unless <paramref name="name"/> is a usable metadata name (non-empty, no path separators, not . or ..).</summary>
    public static void MetadataName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 200)
        {
            throw new ArgumentException("A metadata name is limited to 200 characters.", nameof(name));
        }

        if (name.AsSpan().IndexOfAny('/', '\\') >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"A metadata name must not contain path separators or be '.' or '..': '{name}'.", nameof(name));
        }
    }

    private static void HexPart(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        if (value.Length < 2 || value.Length > MaxKeyPartLength || value.AsSpan().ContainsAnyExcept(Hex))
        {
            throw new ArgumentException($"A cache key's {what} must be 2 to {MaxKeyPartLength} lowercase hex characters: '{value}'.", what);
        }
    }
}
