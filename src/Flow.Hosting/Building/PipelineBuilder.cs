using System.Globalization;
using Flow.Parameters;
using Flow.Pipelines;
using Flow.Sinks;
using Flow.Sources;
using Flow.Steps;
using Flow.Hosting.Building;

namespace Flow;

/// <summary>
/// Writes a pipeline in C#. It produces the same model a <c>Flow:Pipelines</c> configuration section
/// does: same node types, same parameter names, same cache keys.
/// </summary>
/// <example>
/// <code>
/// flow.Pipeline("flights", p => p
///     .BatchSize(500)
///     .Source("flights", "Json", new { Path = "samples/data/flights-20k.json" })
///     .Step("late", "Filter", new { Where = "delay > 15" })
///     .Step&lt;Score&gt;("score", options: new StepOptions { Parallelism = 2 })
///     .Sink("out", "JsonLines", new { Path = "out/late.jsonl" }));
/// </code>
/// </example>
public sealed class PipelineBuilder
{
    private readonly List<NodeDefinition> _sources = new();
    private readonly List<NodeDefinition> _steps = new();
    private readonly List<NodeDefinition> _sinks = new();
    private readonly string _path;
    private int _batchSize = PipelineDefinition.DefaultBatchSize;

    internal PipelineBuilder(string name)
    {
        Name = name;
        _path = $"(code):Pipelines:{name}";
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; }

    /// <summary>Records per batch (default 500). Batches are cut by count, so a replay forms the same batches.</summary>
    public PipelineBuilder BatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batchSize = batchSize;
        return this;
    }

    /// <summary>Adds a source of a built-in or registered type, with its <c>Params</c> (an anonymous object or a dictionary).</summary>
    public PipelineBuilder Source(string name, string type, object? parameters = null) =>
        Add(_sources, NodeKind.Source, name, type, parameters, null, null);

    /// <summary>Adds a source object.</summary>
    public PipelineBuilder Source(string name, ISource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Add(_sources, NodeKind.Source, name, TypeName(source.GetType()), null, null, source);
    }

    /// <summary>Adds a step of a built-in or registered type.</summary>
    public PipelineBuilder Step(string name, string type, object? parameters = null, StepOptions? options = null) =>
        Add(_steps, NodeKind.Step, name, type, parameters, options ?? new StepOptions(), null);

    /// <summary>Adds a step of class <typeparamref name="TStep"/>, created through DI (its constructor may take <see cref="NodeParameters"/>).</summary>
    public PipelineBuilder Step<TStep>(string name, object? parameters = null, StepOptions? options = null)
        where TStep : class, IStep =>
        Add(_steps, NodeKind.Step, name, TypeName(typeof(TStep)), parameters, options ?? new StepOptions(), null);

    /// <summary>Adds a step object. Its cache signature is its type, <see cref="StepOptions.Version"/> and <paramref name="parameters"/>.</summary>
    public PipelineBuilder Step(string name, IStep step, object? parameters = null, StepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        return Add(_steps, NodeKind.Step, name, TypeName(step.GetType()), parameters, options ?? new StepOptions(), step);
    }

    /// <summary>Adds a sink; it reads <paramref name="inputs"/>, or the last step when none are given.</summary>
    // RS0027 asks an overload with optional parameters to have the most parameters; the SinkOptions
    // overload has as many, none optional, and its last parameter's type tells every call apart.
#pragma warning disable RS0027
    public PipelineBuilder Sink(string name, string type, object? parameters = null, params string[] inputs) =>
        Add(_sinks, NodeKind.Sink, name, type, parameters, new StepOptions { Inputs = inputs.Length == 0 ? null : inputs }, null);
#pragma warning restore RS0027

    /// <summary>Adds a sink of a built-in or registered type, with its inputs and error sink in <paramref name="options"/>.</summary>
    public PipelineBuilder Sink(string name, string type, object? parameters, SinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Add(_sinks, NodeKind.Sink, name, type, parameters, Of(options), null);
    }

    /// <summary>Adds a sink object.</summary>
    public PipelineBuilder Sink(string name, ISink sink, params string[] inputs)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Add(_sinks, NodeKind.Sink, name, TypeName(sink.GetType()), null, new StepOptions { Inputs = inputs.Length == 0 ? null : inputs }, sink);
    }

    /// <summary>Adds a sink object, with its inputs and error sink in <paramref name="options"/>.</summary>
    public PipelineBuilder Sink(string name, ISink sink, SinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        return Add(_sinks, NodeKind.Sink, name, TypeName(sink.GetType()), null, Of(options), sink);
    }

    internal PipelineDefinition Build() => new()
    {
        Name = Name,
        BatchSize = _batchSize,
        Sources = _sources.ToList(),
        Steps = _steps.ToList(),
        Sinks = _sinks.ToList(),
        ConfigPath = _path,
    };

    // A sink's keys are a subset of a step's: the rest keep their defaults, which a sink ignores.
    private static StepOptions Of(SinkOptions options) => new() { Inputs = options.Inputs is { Count: > 0 } inputs ? inputs : null, ErrorSink = options.ErrorSink };

    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private PipelineBuilder Add(List<NodeDefinition> list, NodeKind kind, string name, string type, object? parameters, StepOptions? options, object? instance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        var section = kind switch
        {
            NodeKind.Source => "Sources",
            NodeKind.Step => "Steps",
            _ => "Sinks",
        };
        list.Add(new NodeDefinition
        {
            Kind = kind,
            Name = name,
            Type = type,
            Inputs = options?.Inputs,
            Params = ParamNode.FromObject(parameters),
            ConfigPath = $"{_path}:{section}:{list.Count.ToString(CultureInfo.InvariantCulture)}",
            UseCache = options?.UseCache ?? true,
            CacheForced = options?.UseCache == true,
            Version = options?.Version,
            Parallelism = options?.Parallelism ?? 1,
            CacheTtl = options?.CacheTtl,
            ErrorSink = options?.ErrorSink,
            Instance = instance,
        });
        return this;
    }
}
