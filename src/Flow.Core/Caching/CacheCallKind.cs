namespace Flow.Caching;

/// <summary>The kinds of store call whose health is tracked apart: a store may serve one and fail another.</summary>
[Flags]
internal enum CacheCallKind
{
    /// <summary>No kind.</summary>
    None = 0,

    /// <summary>Entry reads (<see cref="ICacheStore.GetAsync"/>).</summary>
    Reads = 1,

    /// <summary>Entry writes and deletions (<see cref="ICacheStore.SetAsync"/>, garbage collection).</summary>
    Writes = 2,

    /// <summary>Metadata reads and writes.</summary>
    Metadata = 4,

    /// <summary>Lease calls (<see cref="ICacheLeaseStore.TryAcquireLeaseAsync"/>, renewals, releases).</summary>
    Leases = 8,
}
