namespace Flow;

/// <summary>The step cache (<c>Flow:Cache</c>).</summary>
public sealed class FlowCacheOptions
{
    /// <summary>Look results up in the cache. Default true; <c>--use-cache=false</c> turns lookups off for a run (results are still written: a refresh).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The registered store to use: <c>File</c> (default, embedded), <c>Memory</c>, <c>Redis</c> (with <c>AddRedisCacheStore()</c>) or one the application registers.</summary>
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

    /// <summary>
    /// Life of a lease (single-flight across workers sharing a store): a worker computing an uncached
    /// batch holds the batch's lease, renewed every third of this while the step runs, and others wait
    /// for its entry instead of computing the batch too. The lease of a worker that died lapses after
    /// this long and is taken over; a waiter gives up and computes the batch itself after 10 times
    /// this. At least 100 ms. Default 30 seconds.
    /// </summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a store may take to connect (Redis) before the run goes on without it. Default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one store call may take before it counts as failed (Redis). The first that fails cuts
    /// the store off until a probe in the background finds it answering again, so a hung store costs a
    /// run one of these, not one per batch. Default 5 seconds.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional key (any text, from an environment variable preferably) to sign entries with; entries not signed with it are misses.</summary>
    public string? SigningKey { get; set; }
}
