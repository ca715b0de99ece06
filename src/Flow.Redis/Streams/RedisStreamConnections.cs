using System.Collections.Concurrent;
using Flow.Redis.Caching;
using StackExchange.Redis;

namespace Flow.Redis.Streams;

/// <summary>
/// The connections of the stream nodes: one multiplexer per connection string for the whole process
/// (every run, source and sink share it; commands are pipelined), made on first use and closed with
/// the host. A connection string is never logged: only its endpoints.
/// </summary>
internal sealed class RedisStreamConnections : IAsyncDisposable
{
    /// <summary>
    /// The use of the connection that the sources' reads of new entries take, apart from every other
    /// command: replies come back in order on a connection, so a batch's manifest (or a sink's batch)
    /// on the connection of a read-ahead would wait for the read's large reply to be parsed first.
    /// </summary>
    public const string Reads = "reads";

    private readonly ConcurrentDictionary<(string Use, string Configuration), Lazy<Task<ConnectionMultiplexer>>> _connections = new();
    private int _disposed;

    /// <summary>The multiplexer for <paramref name="configuration"/> and <paramref name="use"/>; returned even while Redis is down (it reconnects in the background).</summary>
    /// <param name="configuration">The connection string.</param>
    /// <param name="cancellationToken">Ends the wait for the first connect.</param>
    /// <param name="use">"" for the shared connection, or <see cref="Reads"/>.</param>
    public Task<ConnectionMultiplexer> GetAsync(string configuration, CancellationToken cancellationToken, string use = "")
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var lazy = _connections.GetOrAdd((use, configuration), key => new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(key.Configuration)));
        return lazy.Value.WaitAsync(cancellationToken);
    }

    /// <summary>The endpoints of a connection string, for messages (no password, no other option).</summary>
    public static string EndPoints(string configuration)
    {
        try
        {
            return RedisCacheStoreFactory.FormatEndPoints(ConfigurationOptions.Parse(configuration).EndPoints);
        }
        catch (ArgumentException)
        {
            return "?";
        }
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);

        // The cache store's settings: fail fast while disconnected (the nodes wait and retry
        // themselves, with their own backoff and log lines), bounded commands, background reconnects.
        RedisCacheStoreFactory.Configure(options, new RedisCacheStoreOptions { Configuration = configuration });
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var lazy in _connections.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                var multiplexer = await lazy.Value.ConfigureAwait(false);
                await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
                multiplexer.Dispose();
            }
            catch (Exception)
            {
                // A connection that never came up has nothing to close.
            }
        }
    }
}
