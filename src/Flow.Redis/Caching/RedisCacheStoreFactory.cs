using System.Net;
using Flow.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StackExchange.Redis.Availability;

namespace Flow.Redis.Caching;

/// <summary>Creates Redis cache stores.</summary>
internal static class RedisCacheStoreFactory
{
    /// <summary>Whether <paramref name="configuration"/> parses as a StackExchange.Redis connection string naming at least one endpoint.</summary>
    /// <param name="configuration">The connection string.</param>
    /// <returns>True when it can be used to connect.</returns>
    public static bool IsValidConfiguration(string? configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return false;
        }

        try
        {
            return ConfigurationOptions.Parse(configuration).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Connects to Redis and returns a cache store over one shared connection. When Redis cannot be
    /// reached within <see cref="RedisCacheStoreOptions.ConnectTimeout"/> (times
    /// <see cref="RedisCacheStoreOptions.ConnectRetry"/> attempts) the store is returned anyway: its
    /// calls throw until the connection comes back (the caller treats that as a miss), and it keeps
    /// reconnecting in the background.
    /// </summary>
    /// <param name="options">The store options (copied; later changes have no effect).</param>
    /// <param name="logger">Where connection events go; never receives the connection string.</param>
    /// <param name="cancellationToken">Abandons the wait for the first connection.</param>
    /// <exception cref="ArgumentException">The options are invalid or the connection string cannot be parsed.</exception>
    public static async Task<ICacheStore> ConnectAsync(
        RedisCacheStoreOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.Validate();
        logger ??= NullLogger.Instance;

        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(copy.Configuration);
        }
        catch (ArgumentException ex)
        {
            // The parser's message names the bad keyword, not the string: safe to keep.
            throw new ArgumentException("The Redis connection string is invalid: " + ex.Message, nameof(options));
        }

        Configure(configuration, copy);
        var endpoints = FormatEndPoints(configuration.EndPoints);
        if (endpoints.Length == 0)
        {
            throw new ArgumentException("The Redis connection string names no endpoint.", nameof(options));
        }

        // The connect is bounded by ConnectTimeout x ConnectRetry; the cancellation token only
        // abandons the wait.
        var connecting = ConnectionMultiplexer.ConnectAsync(configuration);
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = DisposeWhenConnectedAsync(connecting);
            throw;
        }

        return new RedisCacheStore(multiplexer, copy, endpoints, logger);
    }

    // The store's options win over the same settings in the connection string.
    internal static void Configure(ConfigurationOptions configuration, RedisCacheStoreOptions options)
    {
        // Keep running when Redis is down at start: the store reconnects and caching resumes.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = WholeMilliseconds(options.ConnectTimeout);
        configuration.ConnectRetry = options.ConnectRetry;
        configuration.AsyncTimeout = WholeMilliseconds(options.OperationTimeout);
        configuration.SyncTimeout = WholeMilliseconds(options.OperationTimeout);
        configuration.KeepAlive = (int)Math.Ceiling(options.KeepAlive.TotalSeconds);
        configuration.ReconnectRetryPolicy = new ExponentialRetry(
            WholeMilliseconds(options.ReconnectBackoff), WholeMilliseconds(options.ReconnectMaxBackoff));

        // Overdue commands are found on the heartbeat (1 s by default): a quarter of the operation
        // timeout keeps a timed-out call close to its bound without polling a 5 s bound often.
        configuration.HeartbeatInterval = TimeSpan.FromTicks(Math.Clamp(
            options.OperationTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(1).Ticks));

        // Without a connection a call fails at once instead of waiting in the client's backlog for
        // the operation timeout: the caller runs the step without the cache, and every call of a
        // run would otherwise pay that wait while Redis is down.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // No retries inside the client: a retried command could take several operation timeouts,
        // and a failed cache call costs only a miss.
        configuration.RetryPolicy = RetryPolicy.None;
    }

    private static int WholeMilliseconds(TimeSpan value) => (int)Math.Ceiling(value.TotalMilliseconds);

    // A connect abandoned by cancellation still completes later: close what it opened.
    private static async Task DisposeWhenConnectedAsync(Task<ConnectionMultiplexer> connecting)
    {
        try
        {
            var multiplexer = await connecting.ConfigureAwait(false);
            await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            multiplexer.Dispose();
        }
        catch (Exception)
        {
            // Nothing to close, and nobody left to tell.
        }
    }

    internal static string FormatEndPoints(IEnumerable<EndPoint> endpoints) =>
        string.Join(",", endpoints.Select(FormatEndPoint));

    internal static string FormatEndPoint(EndPoint? endpoint) => endpoint switch
    {
        null => "?",
        DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? "?",
    };
}
