using Flow.Caching;
using StackExchange.Redis;

namespace Flow.Redis.Caching;

/// <summary>
/// Leases in Redis: a string key <c>{prefix}l:{signature}:{input}</c> holding a random token and the
/// holder (<c>{token}|{holder}</c>, <see cref="LeaseHolder"/>), with a time to live. Taken with
/// <c>SET NX PX</c> (of several workers at once, exactly one succeeds; Redis expires the key of a
/// worker that died), renewed by compare-and-extend and released by
/// compare-and-delete, each one Lua script on that one key, so a holder never extends or deletes a
/// lease another worker took over. One key per command or script, so it works on Redis Cluster as
/// it is; and the lease key differs from the entry key only after the prefix, so when the prefix
/// holds a hash tag (<c>{flow}:</c>) the lease lives in the entry's slot, should a script ever
/// touch both. A worker that finds the lease taken by a process of its own machine that is no longer
/// running (the same worker, killed and started again) deletes it by compare-and-delete and takes it,
/// instead of waiting out its time to live.
/// </summary>
internal sealed partial class RedisCacheStore : ICacheLeaseStore
{
    private const char HolderSeparator = '|';

    private const string RenewScript = """
        if redis.call('get', KEYS[1]) == ARGV[1] then
          return redis.call('pexpire', KEYS[1], ARGV[2])
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('get', KEYS[1]) == ARGV[1] then
          return redis.call('del', KEYS[1])
        end
        return 0
        """;

    /// <inheritdoc />
    public async Task<ICacheLease?> TryAcquireLeaseAsync(CacheKey key, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var redisKey = LeaseKey(key);
        CacheStoreGuards.LeaseTime(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        var token = Guid.NewGuid().ToString("N") + HolderSeparator + LeaseHolder.Current;
        try
        {
            var expiry = Expiry(timeToLive);
            if (await _database.StringSetAsync(redisKey, token, expiry, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return new RedisLease(this, key, redisKey, token);
            }

            // Held: by a process of this machine that is gone, it is ours to take over now.
            if (await HeldByGoneProcessAsync(redisKey, cancellationToken).ConfigureAwait(false) is not { } gone)
            {
                return null;
            }

            // Compare-and-delete: only that holder's lease, not one another worker took over meanwhile.
            await _database.ScriptEvaluateAsync(ReleaseScript, [redisKey], [gone]).WaitAsync(cancellationToken).ConfigureAwait(false);
            return await _database.StringSetAsync(redisKey, token, expiry, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false)
                ? new RedisLease(this, key, redisKey, token)
                : null;
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>The lease's value when it names a holder that is gone (<see cref="LeaseHolder.IsGone"/>); null otherwise.</summary>
    private async Task<string?> HeldByGoneProcessAsync(RedisKey redisKey, CancellationToken cancellationToken)
    {
        string? held;
        try
        {
            held = await _database.StringGetAsync(redisKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Kind == RedisErrorKind.WrongType)
        {
            return null; // not a lease Flow wrote: held, as SET NX found it
        }

        var at = held?.IndexOf(HolderSeparator, StringComparison.Ordinal) ?? -1;
        return at >= 0 && LeaseHolder.IsGone(held![(at + 1)..]) ? held : null;
    }

    internal RedisKey LeaseKey(CacheKey key)
    {
        CacheStoreGuards.Key(key);
        return _leasePrefix + key.Signature + ":" + key.Input;
    }

    private bool IsLeaseKey(RedisKey key) => ((string?)key)?.StartsWith(_leasePrefix, StringComparison.Ordinal) == true;

    private async Task<long> EvaluateAsync(string script, RedisKey key, RedisValue[] values, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var result = await _database.ScriptEvaluateAsync(script, [key], values).WaitAsync(cancellationToken).ConfigureAwait(false);
            return (long)result;
        }
        catch (Exception ex) when (Translate(ex) is { } failure)
        {
            throw failure;
        }
    }

    private sealed class RedisLease(RedisCacheStore store, CacheKey key, RedisKey redisKey, string token) : ICacheLease
    {
        private int _released;

        public CacheKey Key => key;

        public async Task<bool> RenewAsync(TimeSpan timeToLive, CancellationToken cancellationToken)
        {
            CacheStoreGuards.LeaseTime(timeToLive);
            if (Volatile.Read(ref _released) != 0)
            {
                return false;
            }

            var milliseconds = (long)Math.Ceiling(timeToLive.TotalMilliseconds);
            return await store.EvaluateAsync(RenewScript, redisKey, [token, milliseconds], cancellationToken).ConfigureAwait(false) == 1;
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                await store.EvaluateAsync(ReleaseScript, redisKey, [token], CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
