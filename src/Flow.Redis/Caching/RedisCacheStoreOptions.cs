namespace Flow.Redis.Caching;

/// <summary>
/// Options of the Redis cache store. The time bounds here override the same settings in
/// <see cref="Configuration"/> (<c>connectTimeout</c>, <c>syncTimeout</c>, <c>asyncTimeout</c>,
/// <c>connectRetry</c>, <c>keepAlive</c>), so that one place decides how long a cache call may take.
/// </summary>
internal sealed class RedisCacheStoreOptions
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
    /// How long one attempt to connect may take (TCP, TLS and the handshake). The store starts
    /// after at most about <see cref="ConnectTimeout"/> x <see cref="ConnectRetry"/>, connected or
    /// not: when not, its calls fail fast (the caller runs without the cache) and it reconnects in
    /// the background, so caching resumes when Redis comes back. Default 5 seconds; at least 1 ms.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Upper bound of each command sent to Redis (the client's <c>asyncTimeout</c>, and its
    /// <c>syncTimeout</c> too): a server that accepted the connection but stopped answering makes
    /// every call fail with a timed-out <see cref="Flow.CacheStoreException"/> within about
    /// this long, never hang. The client checks for overdue commands on its heartbeat, which the
    /// store runs every quarter of this (between 100 ms and 1 s), so a call fails within about
    /// 1.25 x this. A call that sends several commands (stats, clear, gc page through the keys)
    /// bounds each of them. Default 5 seconds; at least 1 ms.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many connect attempts the store makes at start before it starts disconnected (the
    /// client's <c>connectRetry</c>: 1 is a single attempt). Later reconnects happen in the
    /// background whatever this says, so more attempts only delay the start. Default 1; 1 to 10.
    /// </summary>
    public int ConnectRetry { get; set; } = 1;

    /// <summary>
    /// How often an idle connection is pinged, so that a connection dropped silently (by a NAT or
    /// a firewall) is noticed and replaced before a cache call needs it. Whole seconds (rounded
    /// up). Default 60 seconds, the client's own: busy connections need no ping, and an idle one
    /// costs nothing but this ping; 1 second to 1 day.
    /// </summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The first pause between reconnect attempts after the connection is lost; later pauses grow
    /// exponentially (randomized) up to <see cref="ReconnectMaxBackoff"/>. Default 1 second;
    /// at least 1 ms.
    /// </summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest pause between reconnect attempts: once Redis is back, caching resumes within
    /// about this long. Default 10 seconds; at least <see cref="ReconnectBackoff"/>.
    /// </summary>
    public TimeSpan ReconnectMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

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
        Milliseconds(ConnectTimeout, TimeSpan.FromMilliseconds(1), nameof(ConnectTimeout));
        Milliseconds(OperationTimeout, TimeSpan.FromMilliseconds(1), nameof(OperationTimeout));
        if (ConnectRetry is < 1 or > 10)
        {
            throw new ArgumentException($"ConnectRetry must be 1 to 10 (was {ConnectRetry}).", nameof(ConnectRetry));
        }

        if (KeepAlive < TimeSpan.FromSeconds(1) || KeepAlive > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"KeepAlive must be 1 second to 1 day (was {KeepAlive}).", nameof(KeepAlive));
        }

        Milliseconds(ReconnectBackoff, TimeSpan.FromMilliseconds(1), nameof(ReconnectBackoff));
        Milliseconds(ReconnectMaxBackoff, ReconnectBackoff, nameof(ReconnectMaxBackoff));
    }

    internal RedisCacheStoreOptions Clone() => new()
    {
        Configuration = Configuration,
        KeyPrefix = KeyPrefix,
        ConnectTimeout = ConnectTimeout,
        OperationTimeout = OperationTimeout,
        ConnectRetry = ConnectRetry,
        KeepAlive = KeepAlive,
        ReconnectBackoff = ReconnectBackoff,
        ReconnectMaxBackoff = ReconnectMaxBackoff,
        ConfigurationName = ConfigurationName,
    };

    // The client takes whole milliseconds in an int.
    private static void Milliseconds(TimeSpan value, TimeSpan minimum, string name)
    {
        if (value < minimum || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be {minimum} to {TimeSpan.FromMilliseconds(int.MaxValue)} (was {value})."),
                name);
        }
    }
}
