using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Flow.Caching;
using Flow.Execution;
using Flow.Hosting.Options;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Hosting.Tests.Caching;

/// <summary>The outcome of one run: the runner's result and what the sink received.</summary>
internal sealed record CacheRun(RunStatus Status, PipelineResult? Result, IReadOnlyList<string> Output, Exception? Error)
{
    public NodeStats Node(string name) =>
        (Result ?? throw new InvalidOperationException($"the run did not start: {Error?.Message}"))
        .Nodes.Single(n => n.Name == name);

    public IEnumerable<NodeStats> Steps => Result?.Nodes.Where(n => n.Kind == NodeKind.Step) ?? [];
}

/// <summary>
/// Plans pipelines from an in-memory configuration (flights-20k.json, a <c>Counting</c> step type,
/// a <c>Collect</c> sink) and runs them the way FlowWorker does: <see cref="StepCache"/> (built from
/// <c>Flow:Cache</c> settings) creates the decoration, the runner runs with it, then it is disposed.
/// Each run gets its own store connection, as a new process would.
/// </summary>
internal sealed class CacheHarness
{
    public const int BatchSize = 1000;
    public const int FlightCount = 20_000;
    public const int BatchCount = FlightCount / BatchSize;

    private static readonly TimeSpan RunDeadline = TimeSpan.FromSeconds(90);
    private static readonly Lazy<string> Flights = new(FindFlights);

    public StepProbes Probes { get; } = new();

    /// <summary>The store <c>Flow:Cache:Store=BlockingWrite</c> runs with.</summary>
    public BlockingWriteStore BlockingWrites { get; } = new();

    public RecordingLoggerFactory Logs { get; } = new();

    public static string FlightsPath => Flights.Value;

    /// <summary>One step of a pipeline, as configuration would hold it.</summary>
    public static JsonObject Step(string name, string type, object? parameters = null, bool? useCache = null, string? cacheTtl = null, string[]? inputs = null)
    {
        var step = new JsonObject { ["Name"] = name, ["Type"] = type };
        if (parameters is not null)
        {
            step["Params"] = parameters is JsonNode node ? node.DeepClone() : System.Text.Json.JsonSerializer.SerializeToNode(parameters);
        }

        if (useCache is { } use)
        {
            step["UseCache"] = use;
        }

        if (cacheTtl is not null)
        {
            step["CacheTtl"] = cacheTtl;
        }

        if (inputs is not null)
        {
            step["Inputs"] = new JsonArray(inputs.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        }

        return step;
    }

    /// <summary>The flights pipeline with these steps, read from an in-memory JSON configuration.</summary>
    public static PipelineDefinition Pipeline(string name, params JsonObject[] steps)
    {
        var document = new JsonObject
        {
            ["Flow"] = new JsonObject
            {
                ["Pipelines"] = new JsonObject
                {
                    [name] = new JsonObject
                    {
                        ["BatchSize"] = BatchSize,
                        ["Sources"] = new JsonArray(new JsonObject
                        {
                            ["Name"] = "flights",
                            ["Type"] = "Json",
                            ["Params"] = new JsonObject { ["Path"] = FlightsPath },
                        }),
                        ["Steps"] = new JsonArray(steps.Select(s => (JsonNode?)s.DeepClone()).ToArray()),
                        ["Sinks"] = new JsonArray(new JsonObject { ["Name"] = "out", ["Type"] = "Collect" }),
                    },
                },
            },
        };
        return FromJson(document.ToJsonString());
    }

    /// <summary>Reads the single pipeline of a JSON configuration document.</summary>
    public static PipelineDefinition FromJson(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        var definition = Assert.Single(PipelineConfigurationReader.Read(configuration));
        Assert.Empty(definition.ReadErrors);
        return definition;
    }

    public Task<PipelinePlan> PlanAsync(PipelineDefinition definition) => PlanAsync(definition, Probes);

    private static Task<PipelinePlan> PlanAsync(PipelineDefinition definition, StepProbes probes)
    {
        var registry = BuiltInNodes.CreateRegistry();
        registry.Register(NodeKind.Step, "Counting", c => new CountingStep(probes[c.NodeName], c.Parameters));
        registry.Register(NodeKind.Sink, "Collect", _ => new CollectingSink());
        return new PipelinePlanner(registry, new ServiceCollection().BuildServiceProvider()).PlanAsync(definition).WaitAsync(RunDeadline);
    }

    /// <summary>Runs with the step cache, configured by <c>Flow:Cache:*</c> settings (later ones win), as the worker does.</summary>
    public async Task<CacheRun> RunAsync(PipelineDefinition definition, IEnumerable<KeyValuePair<string, string?>> cacheSettings, RunnerOptions? options = null, CancellationToken stop = default)
    {
        var plan = await PlanAsync(definition);
        await using var stores = Stores(BindOptions(cacheSettings).Cache, Logs, BlockingWrites);
        var cache = new StepCache(stores, Logs.CreateLogger<StepCache>());
        var result = await new PipelineRunner(NullLogger.Instance, options, cache).RunAsync(plan, stop).WaitAsync(RunDeadline);
        return new CacheRun(result.Status, result, SinkOf(plan).Lines, result.Error);
    }

    /// <summary>Runs with no cache at all: the reference output. Its steps count in probes of their own.</summary>
    public static async Task<CacheRun> RunWithoutCacheAsync(PipelineDefinition definition)
    {
        var plan = await PlanAsync(definition, new StepProbes());
        var result = await new PipelineRunner(NullLogger.Instance).RunAsync(plan, CancellationToken.None).WaitAsync(RunDeadline);
        Assert.Equal(RunStatus.Completed, result.Status);
        return new CacheRun(result.Status, result, SinkOf(plan).Lines, result.Error);
    }

    /// <summary>Opens the store the settings name (as <c>flow cache</c> does) and runs <paramref name="use"/> on it.</summary>
    public async Task<T> WithStoreAsync<T>(IEnumerable<KeyValuePair<string, string?>> cacheSettings, Func<ICacheStore, Task<T>> use)
    {
        await using var stores = Stores(BindOptions(cacheSettings).Cache, Logs);
        var guard = await stores.GetAsync(CancellationToken.None).WaitAsync(RunDeadline);
        return await use(guard.Store).WaitAsync(RunDeadline);
    }

    /// <summary>The stores the worker registers (File, Memory, Redis), chosen by <paramref name="cache"/>.</summary>
    /// <remarks>Store <c>BlockingWrite</c> is <paramref name="blockingWrite"/> (a new one when none is given).</remarks>
    public static CacheStoreProvider Stores(FlowCacheOptions cache, ILoggerFactory logs, BlockingWriteStore? blockingWrite = null)
    {
        var services = new ServiceCollection().AddFileCacheStore().AddMemoryCacheStore().AddRedisCacheStore()
            .AddCacheStore("BlockingWrite", (_, _) => blockingWrite ?? new BlockingWriteStore())
            .AddSingleton(logs).BuildServiceProvider();
        return new CacheStoreProvider(cache, services.GetServices<CacheStoreRegistration>(), services, logs);
    }

    public static FlowOptions BindOptions(IEnumerable<KeyValuePair<string, string?>> cacheSettings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(cacheSettings).Build();
        var options = new FlowOptions();
        Assert.Empty(Flow.Settings.FlowOptionsReader.Read(configuration, options));
        return options;
    }

    // The sink of the plan's first run: that run takes the instances the plan was validated with.
    private static CollectingSink SinkOf(PipelinePlan plan) =>
        (CollectingSink)plan.Validated[plan.Nodes.Single(n => n.Kind == NodeKind.Sink).Name].Instance;

    private static string FindFlights()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "samples", "data", "flights-20k.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(folder.FullName, "Flow.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("samples/data/flights-20k.json not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One log event.</summary>
internal sealed record LogEvent(string Category, LogLevel Level, EventId Id, string Message);

/// <summary>Keeps every log event, so tests can check what was logged (a corrupt entry, a store failure).</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => _events.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _events);

    public ILogger<T> CreateLogger<T>() => new Logger<T>(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEvent> events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            events.Enqueue(new LogEvent(category, logLevel, eventId, formatter(state, exception)));
    }
}
