namespace Flow.Caching;

/// <summary>How the step cache behaves in one run.</summary>
internal sealed record CacheSettings
{
    /// <summary>Look results up. False for <c>--use-cache=false</c>: every step runs, results are written back (a refresh).</summary>
    public bool Lookups { get; init; } = true;

    /// <summary>How long entries live in the store.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Life of a lease (<c>Flow:Cache:LeaseTime</c>), for stores that offer them (<see cref="ICacheLeaseStore"/>).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Fail the run when the store fails, instead of running without the cache.</summary>
    public bool Required { get; init; }
}
