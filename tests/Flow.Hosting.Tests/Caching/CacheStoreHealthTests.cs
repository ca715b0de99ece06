using Flow.Caching;
using Flow.Execution;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// <see cref="CacheStoreHealth"/> on a store whose calls fail or succeed on demand: warnings name
/// the kind of call that fails, a recovery is logged only when that kind succeeds again, and the
/// end-of-run report claims a complete output only for a completed run.
/// </summary>
public sealed class CacheStoreHealthTests
{
    private const int Failed = 203;
    private const int Recovered = 204;
    private const int FailuresOfACompletedRun = 207;
    private const int FailuresOfAnUnfinishedRun = 208;
    private const int CutOff = 213;
    private const int Back = 214;
    private static readonly CacheKey Key = new("aa11", "bc22");

    private readonly RecordingLoggerFactory _logs = new();
    private readonly SwitchableStore _store = new();

    [Fact]
    public async Task WritesFailWhileReadsWork_WarnsOnceThatWritesFail_AndNeverLogsARecovery()
    {
        var health = Health();
        _store.WriteFailure = Denied();

        for (var batch = 0; batch < 5; batch++)
        {
            Assert.Null(await Read(health));
            await Write(health);
        }

        var warning = Assert.Single(_logs.Events, e => e.Id.Id == Failed);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("writes to Store X fail (permission denied on '/cache/entries')", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Events, e => e.Id.Id == Recovered);
        Assert.Equal(5, health.Failures);
    }

    [Fact]
    public async Task WritesFailThenSucceed_LogsTheRecoveryOnce()
    {
        var health = Health();
        _store.WriteFailure = Denied();
        await Write(health);
        await Read(health);
        Assert.DoesNotContain(_logs.Events, e => e.Id.Id == Recovered);

        _store.WriteFailure = null;
        await Write(health);
        await Write(health);

        var recovery = Assert.Single(_logs.Events, e => e.Id.Id == Recovered);
        Assert.Equal("Cache store Store X answers again after 1 failed call(s); caching resumes", recovery.Message);
    }

    [Fact]
    public async Task StoreUnreachable_IsCutOffAtTheFirstFailure_WarnedOnce_AndAProbeBringsItBack()
    {
        var health = Health();
        var down = new CacheStoreException("Redis 127.0.0.1:1", CacheStoreFailure.Unreachable, "cannot be reached", "socket failure", "is redis-server running?");
        _store.ReadFailure = _store.WriteFailure = _store.MetadataFailure = down;
        await Read(health);
        var callsWhenCutOff = _store.Calls;

        // Cut off: no call reaches the store, whatever its kind, and nothing more is warned.
        await Write(health);
        await health.CallAsync(CacheCallKind.Metadata, (s, ct) => s.GetMetadataAsync("pipeline.p", ct), null, default);
        await Read(health);
        Assert.Equal(callsWhenCutOff, _store.Calls);
        var warning = Assert.Single(_logs.Events, e => e.Level == LogLevel.Warning);
        Assert.Equal(CutOff, warning.Id.Id);
        Assert.StartsWith("Cache store Store X cannot be reached: socket failure; is redis-server running?; Flow runs without the cache", warning.Message, StringComparison.Ordinal);

        // The store answers again: the probe in the background finds it, and calls go through.
        _store.ReadFailure = _store.WriteFailure = _store.MetadataFailure = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (_guard!.IsOpen && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(_guard.IsOpen);
        Assert.Single(_logs.Events, e => e.Id.Id == Back);
        await Write(health);
        Assert.NotNull(await Read(health));
        Assert.Equal(1, health.Failures);
    }

    [Fact]
    public async Task UnusableEntry_PassesThroughUncounted()
    {
        var health = Health(required: true);
        _store.ReadFailure = new CacheEntryUnusableException("a folder is in the entry's place");

        var error = await Xunit.Record.ExceptionAsync(() => Read(health));

        Assert.IsType<CacheEntryUnusableException>(error);
        Assert.Equal(0, health.Failures);
        Assert.False(health.FailedFatally);
        Assert.DoesNotContain(_logs.Events, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Required_AFailureThrowsOneMessageNamingTheStoreAndTheFailure_AndIsNotWarned()
    {
        var health = Health(required: true);
        _store.WriteFailure = Denied();

        var error = await Xunit.Record.ExceptionAsync(() => Write(health));

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal("the cache store File .flow/cache cannot be written and Flow:Cache:Required is true: permission denied on '/cache/entries'", failure.Message);
        Assert.True(health.FailedFatally);
        Assert.DoesNotContain(_logs.Events, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task TryCallAsync_Required_CountsAndWarnsButNeverThrows()
    {
        var health = Health(required: true);
        _store.MetadataFailure = new IOException("disk on fire");

        await health.TryCallAsync(CacheCallKind.Metadata, (s, ct) => s.SetMetadataAsync("pipeline.p", new byte[1], ct), default);

        Assert.Equal(1, health.Failures);
        Assert.False(health.FailedFatally);
    }

    [Theory]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Interrupted)]
    [InlineData(null)]
    public async Task ReportFailures_RunThatDidNotComplete_NeverSaysTheOutputIsComplete(RunStatus? status)
    {
        var health = Health();
        _store.WriteFailure = Denied();
        await Write(health);

        health.ReportFailures("p", status);

        Assert.DoesNotContain(_logs.Events, e => e.Id.Id == FailuresOfACompletedRun);
        var report = Assert.Single(_logs.Events, e => e.Id.Id == FailuresOfAnUnfinishedRun);
        Assert.Equal("Pipeline p: 1 cache store call(s) to Store X failed in this run (writes: 1)", report.Message);
    }

    [Fact]
    public async Task ReportFailures_CompletedRun_SaysTheOutputIsCompleteWithTheCountsByKind()
    {
        var health = Health();
        _store.WriteFailure = Denied();
        await Write(health);
        await Write(health);

        health.ReportFailures("p", RunStatus.Completed);

        var report = Assert.Single(_logs.Events, e => e.Id.Id == FailuresOfACompletedRun);
        Assert.StartsWith("Pipeline p: 2 cache store call(s) to Store X failed in this run (writes: 2); the output is complete", report.Message, StringComparison.Ordinal);
    }

    private static CacheStoreException Denied() =>
        new("File .flow/cache", CacheStoreFailure.AccessDenied, "cannot be written", "permission denied on '/cache/entries'");

    private CacheStoreGuard? _guard;

    private CacheStoreHealth Health(bool required = false)
    {
        _guard = new CacheStoreGuard(_store, _logs.CreateLogger("guard"));
        return new(_guard, _logs.CreateLogger("test"), required);
    }

    private static Task<byte[]?> Read(CacheStoreHealth health) =>
        health.CallAsync(CacheCallKind.Reads, (s, ct) => s.GetAsync(Key, ct), null, default);

    private static Task Write(CacheStoreHealth health) =>
        health.CallAsync(CacheCallKind.Writes, (s, ct) => s.SetAsync(Key, new byte[1], TimeSpan.FromDays(1), ct), default);

    /// <summary>A memory store whose reads, writes and metadata calls throw while a failure is set.</summary>
    private sealed class SwitchableStore : ICacheStore
    {
        private readonly MemoryCacheStore _inner = new();
        private int _calls;

        /// <summary>Calls that reached the store.</summary>
        public int Calls => Volatile.Read(ref _calls);

        public Exception? ReadFailure { get; set; }

        public Exception? WriteFailure { get; set; }

        public Exception? MetadataFailure { get; set; }

        public string Description => "Store X";

        public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) > 0 && ReadFailure is { } failure ? Task.FromException<byte[]?>(failure) : _inner.GetAsync(key, cancellationToken);

        public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) > 0 && WriteFailure is { } failure ? Task.FromException(failure) : _inner.SetAsync(key, value, timeToLive, cancellationToken);

        public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) > 0 && MetadataFailure is { } failure ? Task.FromException<byte[]?>(failure) : _inner.GetMetadataAsync(name, cancellationToken);

        public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
            MetadataFailure is { } failure ? Task.FromException(failure) : _inner.SetMetadataAsync(name, value, cancellationToken);

        public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken) => _inner.GetStatsAsync(cancellationToken);

        public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken) => _inner.ClearAsync(signatures, cancellationToken);

        public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken) => _inner.CollectGarbageAsync(maxBytes, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
