using System.Runtime.CompilerServices;
using System.Text;
using Flow.Caching;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Caching;

/// <summary>
/// A cache store in Redis (standalone or Cluster) over one shared <see cref="ConnectionMultiplexer"/>.
/// Entries are plain strings with a time to live, <c>{prefix}e:{signature}:{input}</c>; metadata
/// documents are <c>{prefix}m:{name}</c> without expiry; leases are <c>{prefix}l:{signature}:{input}</c>
/// (<c>RedisCacheStore.Leases.cs</c>). Concurrent calls are pipelined by the
/// multiplexer. When Redis is unreachable every call throws promptly (the caller counts a miss and
/// runs the step) and the multiplexer reconnects in the background.
/// </summary>
/// <remarks>
/// <para>Arguments: keys, times to live and metadata names are held to the same rules as in every
/// store (<see cref="CacheStoreGuards"/>), so a key one store accepts is accepted by all. Redis
/// expires entries by its own clock; a time to live is rounded up to whole milliseconds, and
/// <see cref="Timeout.InfiniteTimeSpan"/> writes an entry without expiry.</para>
/// <para>Failures: every call throws <see cref="CacheStoreException"/> for trouble with Redis itself
/// (unreachable, credentials refused, no answer within <see cref="RedisCacheStoreOptions.OperationTimeout"/>,
/// a command the server refuses), worded without the connection string. A key of Flow's that holds
/// another type than a string (a hash, a stream made by someone else) is that entry's problem:
/// reads throw <see cref="CacheEntryUnusableException"/> and the next write replaces it.</para>
/// <para>Foreign keys: stats and garbage collection count only string keys named like entries
/// (<c>{prefix}e:{signature}:{input}</c>, both parts lowercase hex); clear deletes only string keys
/// named like entries or metadata documents. Lease keys are left to expire (a worker may hold them),
/// silently. Any other key under the prefix is skipped, never deleted, and the number skipped is
/// logged once per call.</para>
/// <para>Size bounds: Redis expires entries itself, and the usual bound on a shared cache is
/// Redis's own <c>maxmemory</c> with <c>maxmemory-policy allkeys-lru</c>.
/// <see cref="CollectGarbageAsync"/> with a byte bound evicts by <c>OBJECT IDLETIME</c> as well,
/// for a Redis configured without one. Stats and garbage collection measure entries with
/// <c>STRLEN</c>, which refreshes their last-access time (Redis 7.0 has no way to read a length
/// without it): a garbage collection right after another call that measured the entries sees
/// every entry as just used.</para>
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
    private readonly string _leasePrefix;
    private readonly TimeSpan _operationTimeout;
    private readonly ILogger _logger;
    private readonly string _endpoints;
    private readonly string _endpointsName;
    private readonly string _configurationName;
    private readonly TimeSpan _connectTimeout;
    private int _disposed;

    internal RedisCacheStore(ConnectionMultiplexer multiplexer, RedisCacheStoreOptions options, string endpoints, ILogger logger)
    {
        _multiplexer = multiplexer;
        _database = multiplexer.GetDatabase();
        _prefix = options.KeyPrefix;
        _entryPrefix = _prefix + "e:";
        _metadataPrefix = _prefix + "m:";
        _leasePrefix = _prefix + "l:";
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
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var value = await _database.StringGetAsync(redisKey).WaitAsync(cancellationToken).ConfigureAwait(false);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (RedisServerException ex) when (ex.Kind == RedisErrorKind.WrongType)
        {
            throw await WrongTypeAsync(redisKey, "entry", ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Returns when Redis has acknowledged the write (one round trip); concurrent writes share the
    /// connection, pipelined. The value is not copied: it is read when the command is written
    /// out, so the caller leaves it unchanged (a write given up by cancellation may still go out).
    /// </remarks>
    public async Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var redisKey = EntryKey(key);
        CacheStoreGuards.TimeToLive(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // SET replaces a key of any type (an unusable entry, a hash in its place, is repaired
            // here) and drops the expiry of the entry it replaces.
            await _database.StringSetAsync(redisKey, value, Expiry(timeToLive)).WaitAsync(cancellationToken).ConfigureAwait(false);
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
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var value = await _database.StringGetAsync(redisKey).WaitAsync(cancellationToken).ConfigureAwait(false);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (RedisServerException ex) when (ex.Kind == RedisErrorKind.WrongType)
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
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _database.StringSetAsync(redisKey, value).WaitAsync(cancellationToken).ConfigureAwait(false);
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
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            long entries = 0;
            long bytes = 0;
            long skipped = 0;
            var signatures = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var chunk in ScanAsync(EscapeGlob(_entryPrefix) + "*", cancellationToken).ConfigureAwait(false))
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
                CacheStoreGuards.Signature(signature);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            long deleted = 0;
            long skipped = 0;
            var patterns = signatures is null
                ? new[] { EscapeGlob(_prefix) + "*" }
                : signatures.Distinct(StringComparer.Ordinal).Select(signature => EscapeGlob(_entryPrefix + signature + ":") + "*").ToArray();
            foreach (var pattern in patterns)
            {
                await foreach (var chunk in ScanAsync(pattern, cancellationToken).ConfigureAwait(false))
                {
                    var own = Array.FindAll(chunk, key => !IsLeaseKey(key));
                    var named = Array.FindAll(own, key => SignatureOf(key) is not null || (signatures is null && IsMetadataKey(key)));
                    skipped += own.Length - named.Length;
                    var types = await TypesAsync(named, cancellationToken).ConfigureAwait(false);
                    var strings = new List<RedisKey>(named.Length);
                    for (var i = 0; i < named.Length; i++)
                    {
                        if (types[i] == RedisType.String)
                        {
                            strings.Add(named[i]);
                        }
                        else if (types[i] != RedisType.None)
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
    /// Redis removes expired entries itself, so <see cref="CacheGcResult.Expired"/> is always 0 and
    /// an expired entry is never counted or evicted. With <paramref name="maxBytes"/>, the entries
    /// idle longest (<c>OBJECT IDLETIME</c>) are deleted until the store holds at most that many
    /// bytes; this keeps one key and its size per entry in memory while it runs. Prefer Redis's
    /// <c>maxmemory</c> + <c>allkeys-lru</c> for a continuous bound.
    /// </remarks>
    public async Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (maxBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The size bound must not be negative.");
        }

        cancellationToken.ThrowIfCancellationRequested();
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
        var candidates = maxBytes is null ? null : new List<(RedisKey Key, TimeSpan Idle, long Length)>();
        await foreach (var all in ScanAsync(EscapeGlob(_entryPrefix) + "*", cancellationToken).ConfigureAwait(false))
        {
            var chunk = Array.FindAll(all, key => SignatureOf(key) is not null);
            skipped += all.Length - chunk.Length;

            // OBJECT IDLETIME goes out before STRLEN: the multiplexer keeps order on the
            // connection, and STRLEN would reset the idle clock it reads.
            Task<TimeSpan?>[]? idleTasks = null;
            if (candidates is not null)
            {
                idleTasks = new Task<TimeSpan?>[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    idleTasks[i] = _database.KeyIdleTimeAsync(chunk[i]);
                }
            }

            var lengths = await StringLengthsAsync(chunk, cancellationToken).ConfigureAwait(false);
            var idles = idleTasks is null
                ? null
                : await Task.WhenAll(idleTasks).WaitAsync(cancellationToken).ConfigureAwait(false);

            for (var i = 0; i < chunk.Length; i++)
            {
                if (lengths[i] is not { } length)
                {
                    skipped++; // not a string: someone else's key, never a candidate for eviction
                    continue;
                }

                if (idles is not null)
                {
                    if (idles[i] is not { } idle)
                    {
                        continue; // expired or deleted since the scan saw it
                    }

                    candidates!.Add((chunk[i], idle, length));
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
            // Bounded: a server that stopped answering would hold the commands still in flight.
            await _multiplexer.CloseAsync(allowCommandsToComplete: true).WaitAsync(_operationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            // Closing a connection to a server that is gone: nothing to flush.
        }
        finally
        {
            await _multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal RedisKey EntryKey(CacheKey key)
    {
        CacheStoreGuards.Key(key);
        return _entryPrefix + key.Signature + ":" + key.Input;
    }

    internal RedisKey MetadataKey(string name)
    {
        CacheStoreGuards.MetadataName(name);
        return _metadataPrefix + name;
    }

    // Redis expires in whole milliseconds: round up, as the other stores do, so that a time to
    // live of a fraction of a millisecond is a short life rather than an invalid command.
    internal static Expiration Expiry(TimeSpan timeToLive)
    {
        if (timeToLive == Timeout.InfiniteTimeSpan)
        {
            return Expiration.Default; // a plain SET: no expiry
        }

        var ticks = timeToLive.Ticks;
        var partial = ticks % TimeSpan.TicksPerMillisecond;
        if (partial != 0)
        {
            var up = TimeSpan.TicksPerMillisecond - partial;
            ticks = ticks > TimeSpan.MaxValue.Ticks - up ? ticks - partial : ticks + up;
        }

        return new Expiration(TimeSpan.FromTicks(ticks));
    }

    private bool IsMetadataKey(RedisKey key) => ((string?)key) is { } text && text.Length > _metadataPrefix.Length && text.StartsWith(_metadataPrefix, StringComparison.Ordinal);

    // {prefix}e:{signature}:{input}, both parts shaped as the store writes them (lowercase hex):
    // anything else under the prefix is not an entry of this store.
    private string? SignatureOf(RedisKey key)
    {
        var text = (string?)key;
        if (text is null || !text.StartsWith(_entryPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = text.AsSpan(_entryPrefix.Length);
        var colon = rest.IndexOf(':');
        return colon >= 0 && IsKeyPart(rest[..colon]) && IsKeyPart(rest[(colon + 1)..])
            ? rest[..colon].ToString()
            : null;
    }

    private static bool IsKeyPart(ReadOnlySpan<char> part) =>
        part.Length is >= 2 and <= CacheStoreGuards.MaxKeyPartLength && !part.ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

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
        foreach (var count in await Task.WhenAll(deletes).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            deleted += count;
        }

        return deleted;
    }

    // Pages of keys matching a glob pattern, from every primary (each Cluster shard), through
    // SCAN: each page is one command, bounded by the operation timeout. A primary that cannot be
    // reached fails the call with the client's own reason.
    private async IAsyncEnumerable<RedisKey[]> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chunk = new List<RedisKey>(ChunkSize);
        foreach (var server in _multiplexer.GetServers())
        {
            if (server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(_database.Database, pattern, ChunkSize).WithCancellation(cancellationToken).ConfigureAwait(false))
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
            await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            // Looked at one by one below: WRONGTYPE is a foreign key, anything else is rethrown.
        }

        var lengths = new long?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            if (tasks[i].IsFaulted && tasks[i].Exception!.InnerException is RedisServerException { Kind: RedisErrorKind.WrongType })
            {
                continue;
            }

            lengths[i] = await tasks[i].ConfigureAwait(false);
        }

        return lengths;
    }

    // TYPE of each key, pipelined (None for a key gone since the scan).
    private async Task<RedisType[]> TypesAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        var tasks = new Task<RedisType>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tasks[i] = _database.KeyTypeAsync(keys[i]);
        }

        return await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // An entry or metadata key of Flow's that holds another type: named with its type, for the log line.
    private async Task<Exception> WrongTypeAsync(RedisKey key, string what, RedisServerException ex, CancellationToken cancellationToken)
    {
        RedisType type;
        try
        {
            type = (await TypesAsync([key], cancellationToken).ConfigureAwait(false))[0];
        }
        catch (Exception typeError) when (Translate(typeError) is { } failure)
        {
            return failure;
        }

        return new CacheEntryUnusableException($"the {what} key {(string?)key} holds a {type.ToString().ToLowerInvariant()}, not a string", ex);
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
            case RedisException when IsTlsFailure(exception):
                return new CacheStoreException("Redis at " + _endpoints, CacheStoreFailure.Unreachable, "failed the TLS handshake (its certificate is not trusted or does not name the host, or it does not speak TLS)",
                    hint: "check ssl=true and sslHost in " + _configurationName + ", and that the server's certificate is trusted (the system's store, or SSL_CERT_FILE)", innerException: exception);
            case RedisException when IsAuthenticationFailure(exception):
                return new CacheStoreException("Redis at " + _endpoints, CacheStoreFailure.CredentialsRejected, "rejected the credentials (AUTH failed)",
                    hint: "check the password in " + _configurationName, innerException: exception);
            case TimeoutException when !_multiplexer.IsConnected:
                // No connection became free for the command in that time, and there is none: the
                // server is down (its connect attempts still running), not slow.
                return Unreachable("no connection (the client's connect attempts have not succeeded)", exception);
            case TimeoutException:
                // RedisTimeoutException: no reply within the operation timeout, or no connection
                // became free for the command in that time.
                return TimedOut(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no reply within {_operationTimeout.TotalSeconds:0.###} s"), exception);
            case RedisConnectionException connection:
                return ConnectionFailure(connection);
            case RedisServerException server:
                // The server's own error (OOM, READONLY, MISCONF): its text names no secret.
                return new CacheStoreException(_endpointsName, CacheStoreFailure.Failed, "refused the command", FirstLine(server.Message), innerException: exception);
            case RedisException other:
                return new CacheStoreException(_endpointsName, CacheStoreFailure.Failed, "failed", other.GetType().Name, innerException: exception);
            default:
                return null;
        }
    }

    private CacheStoreException TimedOut(string detail, Exception inner) =>
        new(_endpointsName, CacheStoreFailure.TimedOut, "did not answer", detail, "is the server overloaded or blocked?", inner);

    private CacheStoreException Unreachable(string detail, Exception? inner) =>
        new(_endpointsName, CacheStoreFailure.Unreachable, "cannot be reached", detail, "is redis-server running?", inner);

    // The client reports refused credentials as a connection failure of that type (behind a "no
    // connection available" when the command found none), or, on a connection that lost its
    // authentication, as the server's NOAUTH or WRONGPASS reply.
    internal static bool IsAuthenticationFailure(Exception exception)
    {
        if (IsTlsFailure(exception))
        {
            return false; // the client reports a failed TLS handshake as an authentication failure too
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                || current is RedisServerException { Kind: RedisErrorKind.NoAuth or RedisErrorKind.WrongPass })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the connection's TLS handshake failed (a certificate not trusted, a name that does not match, a server without TLS).</summary>
    internal static bool IsTlsFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    // A connection-level failure, by the evidence the client gives. A socket error, or a server
    // that closed the connection, means it cannot be reached. Without one the server took the
    // connection and never answered: the client abandoned a connection whose commands got no reply
    // (ConnectionDisposed), a new one got no answer to its handshake in the connect timeout
    // (UnableToConnect), or a new one is still waiting for it (no connection available, no cause).
    private CacheStoreException ConnectionFailure(RedisConnectionException exception)
    {
        ConnectionFailureType? cause = null;
        System.Net.Sockets.SocketException? socket = null;
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is RedisConnectionException { FailureType: not ConnectionFailureType.UnableToResolvePhysicalConnection } inner)
            {
                cause = inner.FailureType;
            }
            else if (current is System.Net.Sockets.SocketException error)
            {
                socket = error;
            }
        }

        if (socket is { SocketErrorCode: System.Net.Sockets.SocketError.TimedOut })
        {
            cause = ConnectionFailureType.UnableToConnect; // the host never answered the connect
        }
        else if (socket is not null)
        {
            return Unreachable(socket.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
                System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.TryAgain or System.Net.Sockets.SocketError.NoData => "host not found",
                _ => "socket failure",
            }, exception);
        }

        return cause switch
        {
            null or ConnectionFailureType.ConnectionDisposed => TimedOut("the connection stopped answering and is being replaced", exception),
            ConnectionFailureType.UnableToConnect => TimedOut(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {_connectTimeout.TotalSeconds:0.###} s of connecting"), exception),
            ConnectionFailureType.SocketFailure => Unreachable("socket failure", exception),
            ConnectionFailureType.SocketClosed => Unreachable("the server closed the connection", exception),
            ConnectionFailureType.Loading => Unreachable("the server is still loading its data", exception),
            ConnectionFailureType.ProtocolFailure or ConnectionFailureType.ResponseIntegrityFailure => Unreachable("the server does not speak the Redis protocol", exception),
            _ => Unreachable("no connection", exception),
        };
    }

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
