using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Tests.Running;

/// <summary>
/// Flow as a library: a host that calls <c>AddFlow()</c> keeps running, runs pipelines on demand
/// through <see cref="IPipelineRunner"/>, builds the nodes of every run anew and disposes them, and
/// uses a cache store the application registers itself.
/// </summary>
public sealed class PipelineRunnerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task HostWithAddFlow_KeepsRunningAfterThePipelineEnds_AndRunsItAgainWithTheSameResult()
    {
        var output = _temp.File("late.jsonl");
        var builder = CreateBuilder();
        builder.Services.AddFlow(flow => flow.Pipeline("late", p => p
            .BatchSize(1000)
            .Source("flights", "Json", new { Path = TestData.FlightsJson })
            .Step("late", "Filter", new { Where = "delay > 15" })
            .Sink("out", "JsonLines", new { Path = output })));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(Timeout);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var runner = host.Services.GetRequiredService<IPipelineRunner>();

        var first = await runner.RunAsync("late").WaitAsync(Timeout);
        var firstBytes = await File.ReadAllBytesAsync(output);
        await Task.Delay(200);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "AddFlow() stopped the host");
        var second = await runner.RunAsync("late").WaitAsync(Timeout);

        Assert.Equal(["late"], runner.Pipelines);
        Assert.Equal(RunStatus.Completed, first.Status);
        Assert.Equal(RunStatus.Completed, second.Status);
        Assert.Equal(firstBytes, await File.ReadAllBytesAsync(output));
        var (before, after) = (first.Nodes.Single(n => n.Name == "late"), second.Nodes.Single(n => n.Name == "late"));
        Assert.Equal((20L, 0L, 20L), (before.Batches, before.Hits, before.Misses));
        Assert.Equal((20L, 20L, 0L), (after.Batches, after.Hits, after.Misses));
        Assert.Equal(before.RecordsOut, after.RecordsOut);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task EveryRun_BuildsInitializesAndDisposesItsOwnNodes()
    {
        var probe = new LifecycleProbe();
        var builder = CreateBuilder();
        builder.Services.AddSingleton(probe);
        builder.Services.AddFlow(flow => flow
            .AddStep<TrackedStep>("Tracked")
            .Pipeline("p", p => p
                .Source("g", "Generate", new { Count = 100 })
                .Step("t", "Tracked")
                .Sink("out", "JsonLines", new { Path = _temp.File("out.jsonl") })));
        using var host = builder.Build();
        var runner = host.Services.GetRequiredService<IPipelineRunner>();

        for (var run = 0; run < 3; run++)
        {
            Assert.Equal(RunStatus.Completed, (await runner.RunAsync("p").WaitAsync(Timeout)).Status);
        }

        // One instance a run (validation's serves the first), each initialized once, disposed at its run's end.
        Assert.Equal(3, probe.Built.Count);
        Assert.All(probe.Built, step => Assert.Equal((1, 1), (step.Initialized, step.Disposed)));
        Assert.Equal(3, probe.Built.Distinct().Count());
    }

    [Fact]
    public async Task UnknownPipeline_IsAConfigurationError_NamingTheNearestOne()
    {
        var builder = CreateBuilder();
        builder.Services.AddFlow(flow => flow.Pipeline("flights", p => p
            .Source("g", "Generate", new { Count = 10 })
            .Sink("out", "JsonLines", new { Path = _temp.File("out.jsonl") })));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<FlowConfigurationException>(() => host.Services.GetRequiredService<IPipelineRunner>().RunAsync("flight"));

        Assert.Contains("no pipeline named 'flight' (did you mean 'flights'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheStoreTheApplicationRegisters_IsTheOnePipelinesUse()
    {
        var store = new TallyStore();
        var builder = CreateBuilder(new() { ["Flow:Cache:Store"] = "Tally" });
        builder.Services.AddCacheStore("Tally", (_, _) => store);
        builder.Services.AddFlow(flow => flow.Pipeline("p", p => p
            .BatchSize(10)
            .Source("g", "Generate", new { Count = 100 })
            .Step("even", "Filter", new { Where = "id % 2 == 0" })
            .Sink("out", "JsonLines", new { Path = _temp.File("out.jsonl") })));
        builder.Services.AddFlowWorker();
        using var host = builder.Build();
        var exitCode = host.Services.GetRequiredService<FlowExitCode>();

        await host.RunAsync().WaitAsync(Timeout);

        Assert.Equal(FlowExitCode.Success, exitCode.Value);
        Assert.Equal(10, store.Sets);
        Assert.Equal(10, store.Gets);
        Assert.True(store.Metadata > 0);
    }

    private HostApplicationBuilder CreateBuilder(Dictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _temp.Path, Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Flow:Cache:Path"] = _temp.File("cache"),
        }.Concat(configuration ?? []));
        builder.Logging.ClearProviders();
        return builder;
    }

    /// <summary>What the tracked steps of a host went through.</summary>
    public sealed class LifecycleProbe
    {
        public ConcurrentQueue<TrackedStep> Queue { get; } = new();

        public IReadOnlyList<TrackedStep> Built => [.. Queue];
    }

    /// <summary>A pass-through step that counts its initializations and disposals.</summary>
    public sealed class TrackedStep : RecordStep, IAsyncInitializable, IAsyncDisposable
    {
        private int _initialized;
        private int _disposed;

        public TrackedStep(LifecycleProbe probe) => probe.Queue.Enqueue(this);

        public int Initialized => Volatile.Read(ref _initialized);

        public int Disposed => Volatile.Read(ref _disposed);

        public ValueTask InitializeAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _initialized);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposed);
            return ValueTask.CompletedTask;
        }

        protected override Record? Process(Record record) => Disposed > 0 ? throw new ObjectDisposedException(nameof(TrackedStep)) : record;
    }

    /// <summary>A store of the application's own: a memory store that counts what it is asked.</summary>
    private sealed class TallyStore : ICacheStore
    {
        private readonly Flow.Caching.MemoryCacheStore _inner = new();
        private int _gets;
        private int _sets;
        private int _metadata;

        public int Gets => Volatile.Read(ref _gets);

        public int Sets => Volatile.Read(ref _sets);

        public int Metadata => Volatile.Read(ref _metadata);

        public string Description => "Tally";

        public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return _inner.GetAsync(key, cancellationToken);
        }

        public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sets);
            return _inner.SetAsync(key, value, timeToLive, cancellationToken);
        }

        public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _metadata);
            return _inner.GetMetadataAsync(name, cancellationToken);
        }

        public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _metadata);
            return _inner.SetMetadataAsync(name, value, cancellationToken);
        }

        public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken) => _inner.GetStatsAsync(cancellationToken);

        public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken) => _inner.ClearAsync(signatures, cancellationToken);

        public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken) => _inner.CollectGarbageAsync(maxBytes, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
