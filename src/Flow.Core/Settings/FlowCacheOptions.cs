namespace Flow;

/// <summary>The step cache (<c>Flow:Cache</c>).</summary>
public sealed class FlowCacheOptions
{
    /// <summary>Look results up in the cache. Default true; <c>--use-cache=false</c> turns lookups off for a run (results are still written: a refresh).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>File</c> (default, embedded), <c>Redis</c> or <c>Memory</c>.</summary>
    public string Store { get; set; } = "File";

    /// <summary>Folder of the File store, relative to the working folder. Default <c>.flow/cache</c>.</summary>
    public string Path { get; set; } = ".flow/cache";

    /// <summary>StackExchange.Redis connection string for <c>Store=Redis</c> (password and TLS go here). Default <c>127.0.0.1:6379</c>.</summary>
    public string Redis { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every Redis key. Default <c>flow:</c>.</summary>
    public string KeyPrefix { get; set; } = "flow:";

    /// <summary>How long entries live. Default 7 days.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Size bound of the File store (e.g. <c>2GB</c>, <c>500MB</c>); least recently used entries go first. Default none.</summary>
    public string? MaxSize { get; set; }

    /// <summary>Fail the run when the cache store cannot be reached, instead of running without the cache. Default false.</summary>
    public bool Required { get; set; }

    /// <summary>Optional key (any text, from an environment variable preferably) to sign entries with; entries not signed with it are misses.</summary>
    public string? SigningKey { get; set; }
}
