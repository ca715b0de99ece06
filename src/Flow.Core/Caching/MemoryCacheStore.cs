using System.Collections.Concurrent;

namespace Flow.Caching;

/// <summary>
/// A cache store in process memory, for tests (and <c>Store: Memory</c>). Values are copied on the way
/// in and out, so no caller can change a stored entry; time comes from a <see cref="TimeProvider"/>
/// so tests can expire entries and leases without waiting. Leases hold within the process: every
/// user of one instance (the runs of one host, a test's workers) shares them.
/// </summary>
internal sealed class MemoryCacheStore : ICacheStore, ICacheLeaseStore
{
    private readonly ConcurrentDictionary<CacheKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<CacheKey, LeaseState> _leases = new();
    private readonly ConcurrentDictionary<string, byte[]> _metadata = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    // Breaks ties between accesses at the same instant (a test's frozen clock), so LRU order is exact.
    private long _accessSequence;

    /// <summary>Creates an empty store.</summary>
    public MemoryCacheStore(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Description => "Memory";

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_entries.TryGetValue(key, out var entry))
        {
            return Task.FromResult<byte[]?>(null);
        }

        var now = _time.GetUtcNow();
        if (entry.IsExpired(now.ToUnixTimeMilliseconds()))
        {
            return Task.FromResult<byte[]?>(null);
        }

        entry.Touch(now.UtcTicks, Interlocked.Increment(ref _accessSequence));
        return Task.FromResult<byte[]?>((byte[])entry.Value.Clone());
    }

    /// <inheritdoc />
    public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        CacheStoreGuards.TimeToLive(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var entry = new Entry(value.ToArray(), CacheStoreGuards.ExpiresAtMs(now, timeToLive));
        entry.Touch(now.UtcTicks, Interlocked.Increment(ref _accessSequence));
        _entries[key] = entry;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken)
    {
        CacheStoreGuards.MetadataName(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_metadata.TryGetValue(name, out var value) ? (byte[])value.Clone() : null);
    }

    /// <inheritdoc />
    public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        CacheStoreGuards.MetadataName(name);
        cancellationToken.ThrowIfCancellationRequested();
        _metadata[name] = value.ToArray();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Counts every entry held, expired ones included until a garbage collection removes them.</remarks>
    public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long entries = 0;
        long bytes = 0;
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, entry) in _entries)
        {
            entries++;
            bytes += entry.Value.Length;
            signatures.Add(key.Signature);
        }

        return Task.FromResult(new CacheStoreStats(entries, bytes, signatures.Count));
    }

    /// <inheritdoc />
    public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        HashSet<string>? wanted = null;
        if (signatures is not null)
        {
            foreach (var signature in signatures)
            {
                CacheStoreGuards.Signature(signature);
            }

            wanted = new HashSet<string>(signatures, StringComparer.Ordinal);
        }
        else
        {
            _metadata.Clear();
        }

        long removed = 0;
        foreach (var key in _entries.Keys)
        {
            if ((wanted is null || wanted.Contains(key.Signature)) && _entries.TryRemove(key, out _))
            {
                removed++;
            }
        }

        return Task.FromResult(removed);
    }

    /// <inheritdoc />
    public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken)
    {
        if (maxBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The size bound must not be negative.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long expired = 0;
        var live = new List<(KeyValuePair<CacheKey, Entry> Pair, long Ticks, long Sequence)>();
        long total = 0;
        foreach (var pair in _entries)
        {
            if (pair.Value.IsExpired(nowMs))
            {
                // Removes only this entry: a concurrent overwrite with a fresh value survives.
                if (_entries.TryRemove(pair))
                {
                    expired++;
                }
            }
            else
            {
                // Stamps are copied now: sorting on fields that hits keep changing could see an inconsistent order.
                var (ticks, sequence) = pair.Value.LastAccess;
                live.Add((pair, ticks, sequence));
                total += pair.Value.Value.Length;
            }
        }

        long evicted = 0;
        if (maxBytes is { } bound && total > bound)
        {
            live.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Sequence.CompareTo(b.Sequence));
            foreach (var (pair, _, _) in live)
            {
                if (total > bound && _entries.TryRemove(pair))
                {
                    evicted++;
                    total -= pair.Value.Value.Length;
                }
            }
        }

        return Task.FromResult(new CacheGcResult(expired, evicted, _entries.Count, _entries.Values.Sum(static e => (long)e.Value.Length)));
    }

    /// <inheritdoc />
    public Task<ICacheLease?> TryAcquireLeaseAsync(CacheKey key, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        CacheStoreGuards.LeaseTime(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var mine = new LeaseState(Guid.NewGuid(), CacheStoreGuards.ExpiresAtMs(_time.GetUtcNow(), timeToLive));
        while (true)
        {
            if (_leases.TryAdd(key, mine))
            {
                return Task.FromResult<ICacheLease?>(new Lease(this, key, mine.Token));
            }

            if (!_leases.TryGetValue(key, out var current))
            {
                continue; // released meanwhile
            }

            if (current.ExpiresAtMs > nowMs)
            {
                return Task.FromResult<ICacheLease?>(null);
            }

            // Lapsed: taken over, unless another taker got there first.
            if (_leases.TryUpdate(key, mine, current))
            {
                return Task.FromResult<ICacheLease?>(new Lease(this, key, mine.Token));
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool Renew(CacheKey key, Guid token, TimeSpan timeToLive)
    {
        CacheStoreGuards.LeaseTime(timeToLive);
        var now = _time.GetUtcNow();
        while (_leases.TryGetValue(key, out var current) && current.Token == token && current.ExpiresAtMs > now.ToUnixTimeMilliseconds())
        {
            if (_leases.TryUpdate(key, current with { ExpiresAtMs = CacheStoreGuards.ExpiresAtMs(now, timeToLive) }, current))
            {
                return true;
            }
        }

        return false; // lapsed, taken over or released
    }

    private void Release(CacheKey key, Guid token)
    {
        if (_leases.TryGetValue(key, out var current) && current.Token == token)
        {
            // Removes only this holder's state: a taker's fresh lease survives.
            _leases.TryRemove(new KeyValuePair<CacheKey, LeaseState>(key, current));
        }
    }

    private sealed record LeaseState(Guid Token, long ExpiresAtMs);

    private sealed class Lease(MemoryCacheStore store, CacheKey key, Guid token) : ICacheLease
    {
        private int _released;

        public CacheKey Key => key;

        public Task<bool> RenewAsync(TimeSpan timeToLive, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Volatile.Read(ref _released) == 0 && store.Renew(key, token, timeToLive));
        }

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                store.Release(key, token);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class Entry(byte[] value, long expiresAtMs)
    {
        private long _lastAccessTicks;
        private long _lastAccessSequence;

        public byte[] Value { get; } = value;

        public bool IsExpired(long nowMs) => expiresAtMs <= nowMs;

        public void Touch(long ticks, long sequence)
        {
            // Two fields updated without a lock: a racing pair of hits may leave a mixed stamp,
            // which only blurs the LRU order of two entries touched at the same moment.
            Volatile.Write(ref _lastAccessTicks, ticks);
            Volatile.Write(ref _lastAccessSequence, sequence);
        }

        public (long Ticks, long Sequence) LastAccess => (Volatile.Read(ref _lastAccessTicks), Volatile.Read(ref _lastAccessSequence));
    }
}
