using System.Net;
using Flow.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Flow.Redis.Caching;

/// <summary>Creates Redis cache stores.</summary>
public static class RedisCacheStoreFactory
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
    /// reached within <see cref="RedisCacheStoreOptions.ConnectTimeout"/> the store is returned
    /// anyway: its calls throw until the connection comes back (the caller treats that as a
    /// miss), and it keeps reconnecting in the background.
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

        // Keep running when Redis is down at start: the store reconnects and caching resumes.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)copy.ConnectTimeout.TotalMilliseconds;

        var endpoints = FormatEndPoints(configuration.EndPoints);
        if (endpoints.Length == 0)
        {
            throw new ArgumentException("The Redis connection string names no endpoint.", nameof(options));
        }

        // The connect is bounded by ConnectTimeout; the cancellation token only abandons the wait.
        // Its log is kept only to learn whether the server refused the credentials: the calls that
        // follow may fail as "no connection" while the client retries, without saying why. (The
        // client masks the password in it; it is never written anywhere.)
        var connectLog = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var connecting = ConnectionMultiplexer.ConnectAsync(configuration, connectLog);
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

        var credentialsRejected = !multiplexer.IsConnected
            && connectLog.ToString().Contains(nameof(ConnectionFailureType.AuthenticationFailure), StringComparison.Ordinal);
        return new RedisCacheStore(multiplexer, copy, endpoints, logger, credentialsRejected);
    }

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
