using System.Runtime.InteropServices;
using System.Text;
using Flow.Caching;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Caching;

/// <summary>
/// A cache store in Redis (standalone or Cluster) over one shared <see cref="ConnectionMultiplexer"/>.
/// Entries are plain strings with a time to live, <c>{prefix}e:{signature}:{input}</c>; metadata
/// documents are <c>{prefix}m:{name}</c> without expiry. Concurrent calls are pipelined by the
/// multiplexer. When Redis is unreachable every call throws promptly (the caller counts a miss and
/// runs the step) and the multiplexer reconnects in the background.
/// </summary>
/// <remarks>
/// Size bounds: Redis expires entries itself, and the usual bound on a shared cache is Redis's own
/// <c>maxmemory</c> with <c>maxmemory-policy allkeys-lru</c>. <see cref="CollectGarbageAsync"/>
/// with a byte bound evicts by <c>OBJECT IDLETIME</c> as well, for a Redis configured without one.
/// <see cref="GetStatsAsync"/> measures entries with <c>STRLEN</c>, which refreshes their
/// last-access time: a garbage collection right after stats sees every entry as just used.
/// </remarks>
internal sealed partial class RedisCacheStore : ICacheStore
{
    // SCAN page size, and how many per-key commands are pipelined before awaiting them.
    private const int ChunkSize = 1000;

    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _database;
    private readonly string _prefix;
    private readonly string _entryPrefix;
    private readonly string _metadataPrefix;
    private readonly TimeSpan _operationTimeout;
    private readonly ILogger _logger;
    private readonly string _endpoints;
    private int _disposed;

    internal RedisCacheStore(ConnectionMultiplexer multiplexer, RedisCacheStoreOptions options, string endpoints, ILogger logger)
    {
        _multiplexer = multiplexer;
        _database = multiplexer.GetDatabase();
        _prefix = options.KeyPrefix;
        _entryPrefix = _prefix + "e:";
        _metadataPrefix = _prefix + "m:";
        _operationTimeout = options.OperationTimeout;
        _logger = logger;
        _endpoints = endpoints;
        Description = $"Redis {endpoints} (prefix {_prefix})";

        _multiplexer.ConnectionFailed += OnConnectionFailed;
        _multiplexer.ConnectionRestored += OnConnectionRestored;

        if (_multiplexer.IsConnected)
        {
            Log.Connected(_logger, endpoints, _prefix);
        }
        else
        {
            Log.NotConnected(_logger, endpoints);
        }
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var value = await Bound(_database.StringGetAsync(EntryKey(key)), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : (byte[]?)value;
    }

    /// <inheritdoc />
    public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (timeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, "The time to live must be positive.");
        }

        return Bound(_database.StringSetAsync(EntryKey(key), ToRedisValue(value), timeToLive), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var value = await Bound(_database.StringGetAsync(MetadataKey(name)), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : (byte[]?)value;
    }

    /// <inheritdoc />
    public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return Bound(_database.StringSetAsync(MetadataKey(name), ToRedisValue(value)), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        long entries = 0;
        long bytes = 0;
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in Scan(EscapeGlob(_entryPrefix) + "*", cancellationToken))
        {
            var lengths = new Task<long>[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                lengths[i] = _database.StringLengthAsync(chunk[i]);
            }

            foreach (var length in await Bound(Task.WhenAll(lengths), cancellationToken).ConfigureAwait(false))
            {
                bytes += length;
            }

            entries += chunk.Length;
            foreach (var key in chunk)
            {
                if (SignatureOf(key) is { } signature)
                {
                    signatures.Add(signature);
                }
            }
        }

        return new CacheStoreStats(entries, bytes, signatures.Count);
    }

    /// <inheritdoc />
    public async Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        long deleted = 0;
        if (signatures is null)
        {
            // Everything under the prefix: entries, metadata and whatever else Flow keeps there.
            foreach (var chunk in Scan(EscapeGlob(_prefix) + "*", cancellationToken))
            {
                var entries = Array.FindAll(chunk, IsEntryKey);
                var others = Array.FindAll(chunk, key => !IsEntryKey(key));
                deleted += await DeleteAsync(entries, cancellationToken).ConfigureAwait(false);
                await DeleteAsync(others, cancellationToken).ConfigureAwait(false);
            }

            return deleted;
        }

        foreach (var signature in signatures.Distinct(StringComparer.Ordinal))
        {
            ValidatePart(signature, nameof(signatures));
            foreach (var chunk in Scan(EscapeGlob(_entryPrefix + signature + ":") + "*", cancellationToken))
            {
                deleted += await DeleteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Redis removes expired entries itself, so <see cref="CacheGcResult.Expired"/> is always 0.
    /// With <paramref name="maxBytes"/>, the entries idle longest (<c>OBJECT IDLETIME</c>) are
    /// deleted until the store holds at most that many bytes; this keeps one key and its size per
    /// entry in memory while it runs. Prefer Redis's <c>maxmemory</c> + <c>allkeys-lru</c> for a
    /// continuous bound.
    /// </remarks>
    public async Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (maxBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The size bound must not be negative.");
        }

        long entries = 0;
        long bytes = 0;
        var candidates = maxBytes is null ? null : new List<(RedisKey Key, long Idle, long Length)>();
        foreach (var chunk in Scan(EscapeGlob(_entryPrefix) + "*", cancellationToken))
        {
            // OBJECT IDLETIME goes out before STRLEN: the multiplexer keeps order on the
            // connection, and STRLEN would reset the idle clock it reads.
            Task<RedisResult>[]? idleTasks = null;
            if (candidates is not null)
            {
                idleTasks = new Task<RedisResult>[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    idleTasks[i] = _database.ExecuteAsync("OBJECT", "IDLETIME", chunk[i]);
                }
            }

            var lengthTasks = new Task<long>[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                lengthTasks[i] = _database.StringLengthAsync(chunk[i]);
            }

            var lengths = await Bound(Task.WhenAll(lengthTasks), cancellationToken).ConfigureAwait(false);
            var idles = idleTasks is null
                ? null
                : await Bound(Task.WhenAll(idleTasks), cancellationToken).ConfigureAwait(false);

            for (var i = 0; i < chunk.Length; i++)
            {
                if (idles is not null)
                {
                    if (idles[i].IsNull)
                    {
                        continue; // expired or deleted since the scan saw it
                    }

                    candidates!.Add((chunk[i], (long)idles[i], lengths[i]));
                }

                entries++;
                bytes += lengths[i];
            }
        }

        long evicted = 0;
        if (candidates is not null && bytes > maxBytes)
        {
            candidates.Sort(static (a, b) => b.Idle.CompareTo(a.Idle));
            var victims = new List<RedisKey>();
            var remaining = bytes;
            foreach (var candidate in candidates)
            {
                if (remaining <= maxBytes)
                {
                    break;
                }

                victims.Add(candidate.Key);
                remaining -= candidate.Length;
            }

            for (var start = 0; start < victims.Count; start += ChunkSize)
            {
                var chunk = victims.GetRange(start, Math.Min(ChunkSize, victims.Count - start)).ToArray();
                evicted += await DeleteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }

            entries -= evicted;
            bytes = remaining;
            Log.Evicted(_logger, evicted, _endpoints);
        }

        return new CacheGcResult(0, evicted, entries, bytes);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _multiplexer.ConnectionFailed -= OnConnectionFailed;
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await _multiplexer.CloseAsync(allowCommandsToComplete: true).WaitAsync(_operationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            // Closing a connection to a server that is gone: nothing to flush.
        }
        finally
        {
            _multiplexer.Dispose();
        }
    }

    internal RedisKey EntryKey(CacheKey key)
    {
        ValidatePart(key.Signature, nameof(key));
        ArgumentException.ThrowIfNullOrEmpty(key.Input, nameof(key));
        return _entryPrefix + key.Signature + ":" + key.Input;
    }

    internal RedisKey MetadataKey(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _metadataPrefix + name;
    }

    private static void ValidatePart(string signature, string parameterName)
    {
        if (string.IsNullOrEmpty(signature) || signature.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A signature must be non-empty and contain no ':' (was '{signature}').", parameterName);
        }
    }

    private bool IsEntryKey(RedisKey key) => ((string?)key)?.StartsWith(_entryPrefix, StringComparison.Ordinal) == true;

    private string? SignatureOf(RedisKey key)
    {
        var text = (string?)key;
        if (text is null || !text.StartsWith(_entryPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = text.IndexOf(':', _entryPrefix.Length);
        return end < 0 ? null : text[_entryPrefix.Length..end];
    }

    // Deletes with one DEL per hash slot, so a Cluster never sees a cross-slot DEL (a standalone
    // server has a single slot here).
    private async Task<long> DeleteAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        if (keys.Length == 0)
        {
            return 0;
        }

        var deletes = keys
            .GroupBy(key => _multiplexer.HashSlot(key))
            .Select(group => _database.KeyDeleteAsync(group.ToArray()))
            .ToArray();
        long deleted = 0;
        foreach (var count in await Bound(Task.WhenAll(deletes), cancellationToken).ConfigureAwait(false))
        {
            deleted += count;
        }

        return deleted;
    }

    // Pages of keys matching a glob pattern, from every connected master (each Cluster shard).
    // StackExchange.Redis 1.2.6 has no asynchronous SCAN on IServer: Keys() pages through SCAN
    // synchronously. Only the maintenance calls (stats, clear, gc) scan, never the hot path.
    private IEnumerable<RedisKey[]> Scan(string pattern, CancellationToken cancellationToken)
    {
        var chunk = new List<RedisKey>(ChunkSize);
        foreach (var server in ConnectedMasters())
        {
            foreach (var key in server.Keys(_database.Database, pattern, ChunkSize))
            {
                chunk.Add(key);
                if (chunk.Count == ChunkSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return chunk.ToArray();
                    chunk.Clear();
                }
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk.ToArray();
        }
    }

    private IServer[] ConnectedMasters()
    {
        var servers = _multiplexer.GetEndPoints()
            .Select(endpoint => _multiplexer.GetServer(endpoint))
            .Where(server => server.IsConnected && !server.IsSlave)
            .ToArray();
        if (servers.Length == 0)
        {
            throw new InvalidOperationException($"No connected Redis master at {_endpoints}.");
        }

        return servers;
    }

    private Task<T> Bound<T>(Task<T> task, CancellationToken cancellationToken) =>
        task.WaitAsync(_operationTimeout, cancellationToken);

    // Glob-escapes a literal so SCAN MATCH treats it as text.
    private static string EscapeGlob(string literal)
    {
        var builder = new StringBuilder(literal.Length + 8);
        foreach (var c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    // RedisValue needs a byte[]: a whole array is passed as is (the caching decorator encodes each
    // entry into a fresh array), anything else is copied.
    private static RedisValue ToRedisValue(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            // The exception text is not logged: it can echo connection settings.
            Log.ConnectionFailed(_logger, RedisCacheStoreFactory.FormatEndPoint(e.EndPoint), e.FailureType);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            Log.ConnectionRestored(_logger, RedisCacheStoreFactory.FormatEndPoint(e.EndPoint));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Redis cache store connected to {Endpoints} (key prefix {KeyPrefix})")]
        public static partial void Connected(ILogger logger, string endpoints, string keyPrefix);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Redis cache store cannot reach {Endpoints}; steps run without the cache until it is back")]
        public static partial void NotConnected(ILogger logger, string endpoints);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Redis connection to {Endpoint} failed ({FailureType}); reconnecting in the background")]
        public static partial void ConnectionFailed(ILogger logger, string endpoint, ConnectionFailureType failureType);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
        public static partial void ConnectionRestored(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Redis cache store at {Endpoints} evicted {Evicted} least recently used entries")]
        public static partial void Evicted(ILogger logger, long evicted, string endpoints);
    }
}
