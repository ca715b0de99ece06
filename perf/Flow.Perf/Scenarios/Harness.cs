using System.Diagnostics;
using Flow.Execution;
using Flow.Hosting.Building;
using Flow.Caching;
using Flow.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Perf.Scenarios;

/// <summary>Plans and runs pipelines the way the worker does, with or without the step cache.</summary>
internal sealed class Harness
{
    private readonly NodeTypeRegistry _registry;
    private readonly PipelinePlanner _planner;

    public Harness()
    {
        _registry = BuiltInNodes.CreateRegistry();
        _registry.Register(NodeKind.Step, "Spin", c => new SpinStep(TimeSpan.FromMicroseconds(c.Parameters.GetInt32("Micros", 50, min: 0))));
        var services = new ServiceCollection().BuildServiceProvider();
        _planner = new PipelinePlanner(_registry, services, NullLoggerFactory.Instance);
    }

    /// <summary>Plans a pipeline whose sink is a fresh <see cref="CountingSink"/>.</summary>
    public async Task<(PipelinePlan Plan, CountingSink Sink)> PlanAsync(string name, int batchSize, Action<PipelineBuilder> nodes)
    {
        var sink = new CountingSink();
        var builder = new PipelineBuilder(name).BatchSize(batchSize);
        nodes(builder);
        builder.Sink("count", sink);
        return (await _planner.PlanAsync(builder.Build()).ConfigureAwait(false), sink);
    }

    /// <summary>
    /// One run, timed end to end the way the worker does it: the runner opens the step cache for the
    /// run (reads the last signatures), runs the graph, flushes the writes behind and records the run.
    /// </summary>
    public async Task<RunOutcome> RunAsync(string name, int batchSize, Action<PipelineBuilder> nodes, StepCache? cache)
    {
        var (plan, sink) = await PlanAsync(name, batchSize, nodes).ConfigureAwait(false);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var result = await new PipelineRunner(NullLogger.Instance, new RunnerOptions(), cache).RunAsync(plan, CancellationToken.None).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (result.Status != RunStatus.Completed)
        {
            throw new InvalidOperationException($"pipeline '{name}' ended {result.Status}: {result.Error}");
        }

        var steps = result.Nodes.Where(n => n.Kind == NodeKind.Step).ToList();
        var sources = result.Nodes.Where(n => n.Kind == NodeKind.Source).Sum(n => n.RecordsOut);
        return new RunOutcome(elapsed, cpuUsed, sources, sink.Records, steps.Sum(s => s.Hits), steps.Sum(s => s.Misses), steps.Sum(s => s.Batches));
    }
}

internal sealed record RunOutcome(TimeSpan Elapsed, TimeSpan Cpu, long SourceRecords, long SinkRecords, long Hits, long Misses, long StepBatches)
{
    public double Seconds => Elapsed.TotalSeconds;

    public double CpuSeconds => Cpu.TotalSeconds;

    /// <summary>CPU seconds of a server the run used (redis-server in (s)); null when not measured.</summary>
    public double? ServerCpu { get; init; }

    /// <summary>Times a piece of code that is not a Flow pipeline (the hand-written baseline).</summary>
    public static async Task<(RunOutcome Outcome, T Value)> TimeAsync<T>(Func<Task<T>> action, long records)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var value = await action().ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return (new RunOutcome(elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu, records, records, 0, 0, 0), value);
    }
}

/// <summary>A step cache over its own, empty store: a temp folder (File) or a unique key prefix (Redis).</summary>
internal sealed class CacheUnderTest : IAsyncDisposable
{
    private readonly CacheStoreProvider _provider;
    private readonly string? _folder;

    private CacheUnderTest(CacheStoreProvider provider, string? folder, string label)
    {
        _provider = provider;
        _folder = folder;
        Label = label;
        Cache = new StepCache(provider, NullLogger.Instance);
    }

    public string Label { get; }

    public StepCache Cache { get; }

    public static Task<CacheUnderTest> FileAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "flow-perf-" + Guid.NewGuid().ToString("N")[..12]);
        return CreateAsync(new FlowCacheOptions { Store = "File", Path = folder, Required = true }, folder, "File");
    }

    public static Task<CacheUnderTest> RedisAsync(string configuration) =>
        CreateAsync(new FlowCacheOptions { Store = "Redis", Redis = configuration, KeyPrefix = $"perf:{Guid.NewGuid():N}:", Required = true }, null, "Redis");

    /// <summary>
    /// The Redis store seen through a wrapper that offers no leases (<see cref="ICacheLeaseStore"/>), so
    /// a cold run computes each miss without taking one: what a run costs without single-flight.
    /// </summary>
    public static Task<CacheUnderTest> RedisWithoutLeasesAsync(string configuration) =>
        CreateAsync(new FlowCacheOptions { Store = "Redis", Redis = configuration, KeyPrefix = $"perf:{Guid.NewGuid():N}:", Required = true }, null, "Redis, no leases", withoutLeases: true);

    private static async Task<CacheUnderTest> CreateAsync(FlowCacheOptions cache, string? folder, string label, bool withoutLeases = false)
    {
        var services = new ServiceCollection().AddFileCacheStore().AddRedisCacheStore().BuildServiceProvider();
        var stores = services.GetServices<CacheStoreRegistration>().ToList();
        if (withoutLeases)
        {
            var redis = stores.Last(r => r.Name == "Redis");
            stores.Add(redis with { Create = async (sp, o, ct) => new StoreWithoutLeases(await redis.Create(sp, o, ct).ConfigureAwait(false)), IsDefault = false });
        }

        var provider = new CacheStoreProvider(cache, stores, services, NullLoggerFactory.Instance);

        // Connect (or create the File store) before anything is timed: the worker does this once per process.
        await provider.GetAsync(CancellationToken.None).ConfigureAwait(false);
        return new CacheUnderTest(provider, folder, label);
    }

    public async Task<ICacheStore> StoreAsync() => (await _provider.GetAsync(CancellationToken.None).ConfigureAwait(false)).Store;

    public async ValueTask DisposeAsync()
    {
        if (_folder is null)
        {
            var store = await StoreAsync().ConfigureAwait(false);
            await store.ClearAsync(null, CancellationToken.None).ConfigureAwait(false);
        }

        await _provider.DisposeAsync().ConfigureAwait(false);
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>A store's entries and metadata without its leases: the caching decorator then takes none.</summary>
internal sealed class StoreWithoutLeases(ICacheStore store) : ICacheStore
{
    public string Description => store.Description + " (no leases)";

    public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken) => store.GetAsync(key, cancellationToken);

    public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken) => store.SetAsync(key, value, timeToLive, cancellationToken);

    public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken) => store.GetMetadataAsync(name, cancellationToken);

    public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) => store.SetMetadataAsync(name, value, cancellationToken);

    public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken) => store.GetStatsAsync(cancellationToken);

    public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken) => store.ClearAsync(signatures, cancellationToken);

    public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken) => store.CollectGarbageAsync(maxBytes, cancellationToken);

    public ValueTask DisposeAsync() => store.DisposeAsync();
}
