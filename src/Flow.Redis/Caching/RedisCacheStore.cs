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
/// <para>Failures: every call throws <see cref="CacheStoreException"/> for trouble with Redis itself
/// (unreachable, credentials refused, no answer within <see cref="RedisCacheStoreOptions.OperationTimeout"/>,
/// a command the server refuses), worded without the connection string. A key of Flow's that holds
/// another type than a string (a hash, a stream made by someone else) is that entry's problem:
/// reads throw <see cref="CacheEntryUnusableException"/> and the next write replaces it.</para>
/// <para>Foreign keys: stats and garbage collection count only string keys named like entries
/// (<c>{prefix}e:{signature}:{input}</c>); clear deletes only string keys named like entries or
/// metadata documents. Any other key under the prefix is skipped, never deleted, and the number
/// skipped is logged once per call.</para>
/// </remarks>
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
    private readonly string _endpointsName;
    private readonly string _configurationName;
    private readonly TimeSpan _connectTimeout;
    private int _disposed;

    // Set once the server refused the credentials, until a connection is restored: while the
    // multiplexer retries, later calls fail as "no connection" without saying why, and the
    // password does not fix itself.
    private int _credentialsRejected;

    internal RedisCacheStore(ConnectionMultiplexer multiplexer, RedisCacheStoreOptions options, string endpoints, ILogger logger, bool credentialsRejected = false)
    {
        _credentialsRejected = credentialsRejected ? 1 : 0;
        _multiplexer = multiplexer;
        _database = multiplexer.GetDatabase();
        _prefix = options.KeyPrefix;
        _entryPrefix = _prefix + "e:";
        _metadataPrefix = _prefix + "m:";
        _operationTimeout = options.OperationTimeout;
        _logger = logger;
        _endpoints = endpoints;
        _endpointsName = "Redis " + endpoints;
        _configurationName = options.ConfigurationName;
        _connectTimeout = options.ConnectTimeout;
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
        var redisKey = EntryKey(key);
        try
        {
            var value = await Bound(_database.StringGetAsync(redisKey), cancellationToken).ConfigureAwait(false);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            throw await WrongTypeAsync(redisKey, "entry", ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    public async Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (timeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, "The time to live must be positive.");
        }

        var redisKey = EntryKey(key);
        try
        {
            // SET replaces a key of any type: an unusable entry (a hash in its place) is repaired here.
            await Bound(_database.StringSetAsync(redisKey, ToRedisValue(value), timeToLive), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var redisKey = MetadataKey(name);
        try
        {
            var value = await Bound(_database.StringGetAsync(redisKey), cancellationToken).ConfigureAwait(false);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            throw await WrongTypeAsync(redisKey, "metadata document", ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    public async Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var redisKey = MetadataKey(name);
        try
        {
            await Bound(_database.StringSetAsync(redisKey, ToRedisValue(value)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    /// <remarks>Counts string keys named like entries; other keys under the prefix are skipped (and logged once).</remarks>
    public async Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        try
        {
            long entries = 0;
            long bytes = 0;
            long skipped = 0;
            var signatures = new HashSet<string>(StringComparer.Ordinal);
            foreach (var chunk in await ScanAsync(EscapeGlob(_entryPrefix) + "*", cancellationToken).ConfigureAwait(false))
            {
                var keys = Array.FindAll(chunk, key => SignatureOf(key) is not null);
                skipped += chunk.Length - keys.Length;
                var lengths = await StringLengthsAsync(keys, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < keys.Length; i++)
                {
                    if (lengths[i] is not { } length)
                    {
                        skipped++; // not a string: someone else's key
                        continue;
                    }

                    entries++;
                    bytes += length;
                    signatures.Add(SignatureOf(keys[i])!);
                }
            }

            LogSkipped("stats", skipped);
            return new CacheStoreStats(entries, bytes, signatures.Count);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes only what this store writes: string keys named like entries (of the given
    /// signatures, or all) and, when <paramref name="signatures"/> is null, string keys named like
    /// metadata documents. Other keys under the prefix (another type, another name) are left alone
    /// and their number is logged.
    /// </remarks>
    public async Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (signatures is not null)
        {
            foreach (var signature in signatures)
            {
                ValidatePart(signature, nameof(signatures));
            }
        }

        try
        {
            long deleted = 0;
            long skipped = 0;
            var patterns = signatures is null
                ? new[] { EscapeGlob(_prefix) + "*" }
                : signatures.Distinct(StringComparer.Ordinal).Select(signature => EscapeGlob(_entryPrefix + signature + ":") + "*").ToArray();
            foreach (var pattern in patterns)
            {
                foreach (var chunk in await ScanAsync(pattern, cancellationToken).ConfigureAwait(false))
                {
                    var named = Array.FindAll(chunk, key => SignatureOf(key) is not null || (signatures is null && IsMetadataKey(key)));
                    skipped += chunk.Length - named.Length;
                    var types = await TypesAsync(named, cancellationToken).ConfigureAwait(false);
                    var strings = new List<RedisKey>(named.Length);
                    for (var i = 0; i < named.Length; i++)
                    {
                        if (types[i] == "string")
                        {
                            strings.Add(named[i]);
                        }
                        else if (types[i] != "none")
                        {
                            skipped++;
                        }
                    }

                    var entries = strings.Where(key => SignatureOf(key) is not null).ToArray();
                    deleted += await DeleteAsync(entries, cancellationToken).ConfigureAwait(false);
                    await DeleteAsync(strings.Where(IsMetadataKey).ToArray(), cancellationToken).ConfigureAwait(false);
                }
            }

            LogSkipped("clear", skipped);
            return deleted;
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
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

        try
        {
            return await CollectGarbageCoreAsync(maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    private async Task<CacheGcResult> CollectGarbageCoreAsync(long? maxBytes, CancellationToken cancellationToken)
    {
        long entries = 0;
        long bytes = 0;
        long skipped = 0;
        var candidates = maxBytes is null ? null : new List<(RedisKey Key, long Idle, long Length)>();
        foreach (var all in await ScanAsync(EscapeGlob(_entryPrefix) + "*", cancellationToken).ConfigureAwait(false))
        {
            var chunk = Array.FindAll(all, key => SignatureOf(key) is not null);
            skipped += all.Length - chunk.Length;

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

            var lengths = await StringLengthsAsync(chunk, cancellationToken).ConfigureAwait(false);
            var idles = idleTasks is null
                ? null
                : await Bound(Task.WhenAll(idleTasks), cancellationToken).ConfigureAwait(false);

            for (var i = 0; i < chunk.Length; i++)
            {
                if (lengths[i] is not { } length)
                {
                    skipped++; // not a string: someone else's key, never a candidate for eviction
                    continue;
                }

                if (idles is not null)
                {
                    if (idles[i].IsNull)
                    {
                        continue; // expired or deleted since the scan saw it
                    }

                    candidates!.Add((chunk[i], (long)idles[i], length));
                }

                entries++;
                bytes += length;
            }
        }

        LogSkipped("gc", skipped);

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

    private bool IsMetadataKey(RedisKey key) => ((string?)key) is { } text && text.Length > _metadataPrefix.Length && text.StartsWith(_metadataPrefix, StringComparison.Ordinal);

    private string? SignatureOf(RedisKey key)
    {
        var text = (string?)key;
        if (text is null || !text.StartsWith(_entryPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        // {prefix}e:{signature}:{input}, both parts non-empty: anything else is not an entry.
        var end = text.IndexOf(':', _entryPrefix.Length);
        return end <= _entryPrefix.Length || end == text.Length - 1 ? null : text[_entryPrefix.Length..end];
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
    // synchronously (each page bounded by the client's sync timeout). Only the maintenance calls
    // (stats, clear, gc) scan, never the hot path. With no connected master the store first asks
    // PING, so that the failure is the client's own (unreachable, credentials refused) and can be
    // told apart.
    private async Task<IEnumerable<RedisKey[]>> ScanAsync(string pattern, CancellationToken cancellationToken)
    {
        var servers = ConnectedMasters();
        if (servers.Length == 0)
        {
            await Bound(_database.PingAsync(), cancellationToken).ConfigureAwait(false);
            servers = ConnectedMasters();
            if (servers.Length == 0)
            {
                throw Unreachable("no connected master", null);
            }
        }

        return Scan(servers, pattern, cancellationToken);
    }

    private IEnumerable<RedisKey[]> Scan(IServer[] servers, string pattern, CancellationToken cancellationToken)
    {
        var chunk = new List<RedisKey>(ChunkSize);
        foreach (var server in servers)
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

    private IServer[] ConnectedMasters() => _multiplexer.GetEndPoints()
        .Select(endpoint => _multiplexer.GetServer(endpoint))
        .Where(server => server.IsConnected && !server.IsSlave)
        .ToArray();

    // STRLEN of each key, pipelined; null for a key that holds another type (WRONGTYPE).
    private async Task<long?[]> StringLengthsAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        var tasks = new Task<long>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tasks[i] = _database.StringLengthAsync(keys[i]);
        }

        try
        {
            await Bound(Task.WhenAll(tasks), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            // Looked at one by one below: WRONGTYPE is a foreign key, anything else is rethrown.
        }

        var lengths = new long?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            if (tasks[i].IsFaulted && tasks[i].Exception!.InnerException is RedisServerException wrong && IsWrongType(wrong))
            {
                continue;
            }

            lengths[i] = await tasks[i].ConfigureAwait(false);
        }

        return lengths;
    }

    // TYPE of each key, pipelined ("none" for a key gone since the scan).
    private async Task<string[]> TypesAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        var tasks = new Task<RedisResult>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tasks[i] = _database.ExecuteAsync("TYPE", keys[i]);
        }

        var results = await Bound(Task.WhenAll(tasks), cancellationToken).ConfigureAwait(false);
        return Array.ConvertAll(results, result => (string?)result ?? "none");
    }

    private static bool IsWrongType(RedisServerException ex) => ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    // An entry or metadata key of Flow's that holds another type: named with its type, for the log line.
    private async Task<Exception> WrongTypeAsync(RedisKey key, string what, RedisServerException ex, CancellationToken cancellationToken)
    {
        string type;
        try
        {
            type = (await TypesAsync([key], cancellationToken).ConfigureAwait(false))[0];
        }
        catch (Exception typeError) when (Translate(typeError) is { } failure)
        {
            return failure;
        }

        return new CacheEntryUnusableException($"the {what} key {(string?)key} holds a {type}, not a string", ex);
    }

    /// <summary>
    /// The store failure an exception of the client stands for, worded without the connection
    /// string (which can hold the password); null for exceptions that are not the store's
    /// trouble (an argument, a cancellation, an unusable entry).
    /// </summary>
    internal CacheStoreException? Translate(Exception exception)
    {
        switch (exception)
        {
            case CacheStoreException or CacheEntryUnusableException or OperationCanceledException or ArgumentException:
                return null;
            case TimeoutException:
                // RedisTimeoutException is one too; so is the store's own bound on every call.
                return new CacheStoreException(_endpointsName, CacheStoreFailure.TimedOut, "did not answer",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no reply within {_operationTimeout.TotalSeconds:0.###} s"),
                    "is the server overloaded or blocked?", exception);
            case RedisException when IsAuthenticationFailure(exception) || (exception is RedisConnectionException && Volatile.Read(ref _credentialsRejected) != 0):
                Volatile.Write(ref _credentialsRejected, 1);
                return new CacheStoreException("Redis at " + _endpoints, CacheStoreFailure.CredentialsRejected, "rejected the credentials (AUTH failed)",
                    hint: "check the password in " + _configurationName, innerException: exception);
            case RedisConnectionException connection:
                return Unreachable(Describe(InnermostFailureType(connection)), connection);
            case RedisServerException server:
                // The server's own error (OOM, READONLY, MISCONF): its text names no secret.
                return new CacheStoreException(_endpointsName, CacheStoreFailure.Failed, "refused the command", FirstLine(server.Message), innerException: exception);
            case RedisException other:
                return new CacheStoreException(_endpointsName, CacheStoreFailure.Failed, "failed", other.GetType().Name, innerException: exception);
            default:
                return null;
        }
    }

    private CacheStoreException Unreachable(string detail, Exception? inner) =>
        new(_endpointsName, CacheStoreFailure.Unreachable, "cannot be reached", detail, "is redis-server running?", inner);

    private static bool IsAuthenticationFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                || current.Message.Contains("NOAUTH", StringComparison.Ordinal)
                || current.Message.Contains("WRONGPASS", StringComparison.Ordinal)
                || current.Message.Contains("invalid password", StringComparison.OrdinalIgnoreCase)
                || current.Message.Contains("without any password configured", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static ConnectionFailureType InnermostFailureType(RedisConnectionException exception)
    {
        var type = exception.FailureType;
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is RedisConnectionException inner)
            {
                type = inner.FailureType;
            }
        }

        return type;
    }

    private string Describe(ConnectionFailureType type) => type switch
    {
        ConnectionFailureType.SocketFailure => "socket failure",
        ConnectionFailureType.SocketClosed => "the server closed the connection",
        ConnectionFailureType.UnableToConnect => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no connection within {_connectTimeout.TotalSeconds:0.###} s"),
        ConnectionFailureType.Loading => "the server is still loading its data",
        ConnectionFailureType.ProtocolFailure => "the server does not speak the Redis protocol",
        ConnectionFailureType.ConnectionDisposed => "the connection was closed",
        _ => "no connection",
    };

    private static string FirstLine(string text)
    {
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? text : text[..end];
    }

    private void LogSkipped(string operation, long skipped)
    {
        if (skipped > 0)
        {
            Log.Skipped(_logger, operation, skipped, _prefix);
        }
    }

    private Task<T> Bound<T>(Task<T> task, CancellationToken cancellationToken) =>
        task.WaitAsync(_operationTimeout, cancellationToken);

    private Task Bound(Task task, CancellationToken cancellationToken) =>
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
        if (e.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            Volatile.Write(ref _credentialsRejected, 1);
        }

        if (e.ConnectionType == ConnectionType.Interactive)
        {
            // The exception text is not logged: it can echo connection settings.
            Log.ConnectionFailed(_logger, RedisCacheStoreFactory.FormatEndPoint(e.EndPoint), e.FailureType);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Volatile.Write(ref _credentialsRejected, 0);
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            Log.ConnectionRestored(_logger, RedisCacheStoreFactory.FormatEndPoint(e.EndPoint));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Redis cache store connected to {Endpoints} (key prefix {KeyPrefix})")]
        public static partial void Connected(ILogger logger, string endpoints, string keyPrefix);

        // Debug, not a warning: whoever uses the store says what failing calls mean for them (a run
        // warns once and goes on without the cache, flow cache exits with the reason).
        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Redis cache store could not connect to {Endpoints} at start; it keeps trying in the background")]
        public static partial void NotConnected(ILogger logger, string endpoints);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Redis connection to {Endpoint} failed ({FailureType}); reconnecting in the background")]
        public static partial void ConnectionFailed(ILogger logger, string endpoint, ConnectionFailureType failureType);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
        public static partial void ConnectionRestored(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Redis cache store at {Endpoints} evicted {Evicted} least recently used entries")]
        public static partial void Evicted(ILogger logger, long evicted, string endpoints);

        [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Redis cache store {Operation}: skipped {Skipped} keys under {KeyPrefix} that are not cache entries; they were left alone")]
        public static partial void Skipped(ILogger logger, string operation, long skipped, string keyPrefix);
    }
}
