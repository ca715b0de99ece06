namespace Flow.Redis.Caching;

/// <summary>Options of the Redis cache store.</summary>
public sealed class RedisCacheStoreOptions
{
    /// <summary>
    /// The StackExchange.Redis connection string, e.g. <c>127.0.0.1:6379</c> or
    /// <c>redis1:6379,redis2:6379,password=...,ssl=true</c>. Password and TLS settings come from
    /// here (or from the environment variable it was read from); the store never logs it, only
    /// the endpoints. Required; there is no default.
    /// </summary>
    public string Configuration { get; set; } = "";

    /// <summary>
    /// Prefix of every key the store writes: entries are <c>{prefix}e:{signature}:{input}</c>,
    /// metadata documents <c>{prefix}m:{name}</c>. Lets several caches share one Redis database.
    /// Default <c>flow:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "flow:";

    /// <summary>
    /// How long the first connection may take. Past it the store starts anyway, disconnected: its
    /// calls fail fast (the caller runs without the cache) and it reconnects in the background, so
    /// caching resumes when Redis comes back. Overrides <c>connectTimeout</c> in
    /// <see cref="Configuration"/>. Default 5 seconds.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Upper bound of each call to Redis. StackExchange.Redis 1.x puts no timeout on asynchronous
    /// commands sent to a server that accepted the connection but stopped answering, so the store
    /// bounds them itself and throws <see cref="TimeoutException"/>. Default 5 seconds.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How messages name the place the connection string comes from, as in "check the password in
    /// {ConfigurationName}". Flow's host sets <c>Flow:Cache:Redis</c>.
    /// </summary>
    internal string ConfigurationName { get; set; } = "the Redis connection string";

    /// <summary>Throws <see cref="ArgumentException"/> when an option is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException("The Redis connection string (Configuration) is required.", nameof(Configuration));
        }

        ArgumentNullException.ThrowIfNull(KeyPrefix);
        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"ConnectTimeout must be positive (was {ConnectTimeout}).", nameof(ConnectTimeout));
        }

        if (OperationTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"OperationTimeout must be positive (was {OperationTimeout}).", nameof(OperationTimeout));
        }
    }

    internal RedisCacheStoreOptions Clone() => new()
    {
        Configuration = Configuration,
        KeyPrefix = KeyPrefix,
        ConnectTimeout = ConnectTimeout,
        OperationTimeout = OperationTimeout,
        ConfigurationName = ConfigurationName,
    };
}
