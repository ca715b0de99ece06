using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>
/// What every <see cref="ICacheLeaseStore"/> must do, run against each store by a derived class:
/// two "workers" (two store instances over the same backing: one folder, one Redis prefix; the same
/// instance for the in-process Memory store) contend for the leases of the same keys.
/// </summary>
/// <remarks>
/// Linked into Flow.Redis.Tests as well. Time passes through <see cref="LetTimePassAsync"/>: the
/// manual clock for stores that read it, real time for Redis (which expires keys by its own clock),
/// with a lease short enough for that (<see cref="Life"/>).
/// </remarks>
public abstract class CacheLeaseStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ICacheStore? _store;
    private ICacheStore? _other;

    protected ManualTimeProvider Time { get; } = new(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The life of the leases the tests take.</summary>
    protected virtual TimeSpan Life => TimeSpan.FromSeconds(30);

    protected ICacheStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    protected ICacheLeaseStore Worker1 => (ICacheLeaseStore)Store;

    protected ICacheLeaseStore Worker2 => (ICacheLeaseStore)(_other ?? throw new InvalidOperationException("Not initialized."));

    protected static CancellationToken None => CancellationToken.None;

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync(Time);
        _other = await CreateOtherWorkerAsync(Time);
    }

    public virtual async Task DisposeAsync()
    {
        if (_other is not null && !ReferenceEquals(_other, _store))
        {
            await _other.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected abstract Task<ICacheStore> CreateStoreAsync(TimeProvider time);

    /// <summary>Another worker over the same store (the same instance when leases hold in one process only).</summary>
    protected abstract Task<ICacheStore> CreateOtherWorkerAsync(TimeProvider time);

    /// <summary>Lets <paramref name="span"/> pass for the store.</summary>
    protected virtual Task LetTimePassAsync(TimeSpan span)
    {
        Time.Advance(span);
        return Task.CompletedTask;
    }

    protected static CacheKey Key(string signature, string input) => new(signature, input);

    protected Task<ICacheLease?> AcquireAsync(ICacheLeaseStore worker, CacheKey key) =>
        worker.TryAcquireLeaseAsync(key, Life, None).WaitAsync(Timeout);

    // 16 attempts at once, half from each worker: one lease, 15 nulls.
    private async Task AssertExactlyOneOfManyWinsAsync(CacheKey key)
    {
        var attempts = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => (i % 2 == 0 ? Worker1 : Worker2).TryAcquireLeaseAsync(key, Life, None)))
            .ToArray();
        var leases = await Task.WhenAll(attempts).WaitAsync(Timeout);
        try
        {
            Assert.Single(leases, lease => lease is not null);
        }
        finally
        {
            foreach (var lease in leases.Where(l => l is not null))
            {
                await lease!.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TryAcquire_FreeKey_ReturnsALeaseOnThatKey()
    {
        await using var lease = await AcquireAsync(Worker1, Key("aa11", "bb22"));

        Assert.NotNull(lease);
        Assert.Equal(Key("aa11", "bb22"), lease.Key);
    }

    [Fact]
    public async Task TryAcquire_HeldByAnotherWorker_ReturnsNull()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        Assert.Null(await AcquireAsync(Worker2, Key("aa11", "bb22")));
        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22"))); // nor twice by one worker
    }

    [Fact]
    public async Task TryAcquire_AfterRelease_AnotherWorkerGetsIt()
    {
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await held.DisposeAsync().AsTask().WaitAsync(Timeout);

        await using var next = await AcquireAsync(Worker2, Key("aa11", "bb22"));
        Assert.NotNull(next);
    }

    [Fact]
    public async Task TryAcquire_OtherSignatureOrInput_IsAnotherLease()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        await using var otherSignature = await AcquireAsync(Worker2, Key("aa12", "bb22"));
        await using var otherInput = await AcquireAsync(Worker2, Key("aa11", "bb23"));
        Assert.NotNull(otherSignature);
        Assert.NotNull(otherInput);
    }

    [Fact]
    public async Task Renew_WhileHeld_ReturnsTrueAndHoldsItPastItsFirstLife()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        await LetTimePassAsync(Life * 0.6);
        Assert.True(await held.RenewAsync(Life, None).WaitAsync(Timeout));
        await LetTimePassAsync(Life * 0.6); // past the first life, within the renewed one

        Assert.Null(await AcquireAsync(Worker2, Key("aa11", "bb22")));
    }

    [Fact]
    public async Task TryAcquire_Lapsed_IsTakenOverAndTheOldHolderCannotTouchIt()
    {
        var old = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(old);

        await LetTimePassAsync(Life * 1.5);
        await using var taker = await AcquireAsync(Worker2, Key("aa11", "bb22"));
        Assert.NotNull(taker);

        // The old holder finds it lost, and its release leaves the taker's lease alone.
        Assert.False(await old.RenewAsync(Life, None).WaitAsync(Timeout));
        await old.DisposeAsync().AsTask().WaitAsync(Timeout);
        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22")));
        Assert.True(await taker.RenewAsync(Life, None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Renew_AfterRelease_ReturnsFalse_AndReleaseTwiceDoesNothing()
    {
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await held.DisposeAsync().AsTask().WaitAsync(Timeout);

        await using var next = await AcquireAsync(Worker2, Key("aa11", "bb22"));
        Assert.NotNull(next);
        Assert.False(await held.RenewAsync(Life, None).WaitAsync(Timeout));
        await held.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22"))); // the second release did not free next's lease
    }

    [Fact]
    public async Task TryAcquire_ManyAtOnce_ExactlyOneWins()
    {
        await AssertExactlyOneOfManyWinsAsync(Key("aa11", "bb22"));
    }

    [Fact]
    public async Task TryAcquire_LapsedManyAtOnce_ExactlyOneTakesOver()
    {
        var old = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(old);
        await LetTimePassAsync(Life * 1.5);

        await AssertExactlyOneOfManyWinsAsync(Key("aa11", "bb22"));
    }

    [Fact]
    public async Task Leases_AreNotEntries_AndClearAndCollectionKeepALiveOne()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        Assert.Null(await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
        Assert.Equal(new CacheStoreStats(0, 0, 0), await Store.GetStatsAsync(None).WaitAsync(Timeout));
        Assert.Equal(0, await Store.ClearAsync(null, None).WaitAsync(Timeout));
        Assert.Equal(0, await Store.ClearAsync(["aa11"], None).WaitAsync(Timeout));
        await Store.CollectGarbageAsync(0, None).WaitAsync(Timeout);

        Assert.Null(await AcquireAsync(Worker2, Key("aa11", "bb22")));
        Assert.True(await held.RenewAsync(Life, None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Entries_AreUntouchedByLeases()
    {
        await Store.SetAsync(Key("aa11", "bb22"), "value"u8.ToArray(), TimeSpan.FromDays(1), None).WaitAsync(Timeout);
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await held.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal("value"u8.ToArray(), await Store.GetAsync(Key("aa11", "bb22"), None).WaitAsync(Timeout));
        Assert.Equal(1, (await Store.GetStatsAsync(None).WaitAsync(Timeout)).Entries);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task TryAcquireAndRenew_NotPositiveLife_Throw(int milliseconds)
    {
        var life = TimeSpan.FromMilliseconds(milliseconds);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Worker1.TryAcquireLeaseAsync(Key("aa11", "bb22"), life, None)).WaitAsync(Timeout);

        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => held.RenewAsync(life, None)).WaitAsync(Timeout);
    }

    [Theory]
    [InlineData("AA11", "bb22")]
    [InlineData("aa11", "../x")]
    [InlineData("", "bb22")]
    public async Task TryAcquire_KeyNotLowercaseHex_Throws(string signature, string input)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Worker1.TryAcquireLeaseAsync(Key(signature, input), Life, None)).WaitAsync(Timeout);
    }

    [Fact]
    public async Task TryAcquireAndRenew_CanceledToken_Throw()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Worker1.TryAcquireLeaseAsync(Key("aa11", "bb22"), Life, cts.Token)).WaitAsync(Timeout);

        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held.RenewAsync(Life, cts.Token)).WaitAsync(Timeout);
    }
}
