using Flow.Pipelines;
using Flow.Sinks;
using Flow.Sources;
using Flow.Steps;
using Microsoft.Extensions.DependencyInjection;
using Flow.Hosting.Building;

namespace Flow;

/// <summary>Configures Flow in a host: pipelines written in C#, and custom node types under aliases.</summary>
public sealed class FlowBuilder
{
    internal FlowBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a pipeline written in C#. Pipelines in configuration are read as well; a name may be used once.</summary>
    public FlowBuilder Pipeline(string name, Action<PipelineBuilder> build)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(build);
        var builder = new PipelineBuilder(name);
        build(builder);
        Services.AddSingleton(new CodePipeline(builder.Build()));
        return this;
    }

    /// <summary>Registers step class <typeparamref name="TStep"/> under <paramref name="alias"/>, usable as a <c>Type</c> in configuration.</summary>
    public FlowBuilder AddStep<TStep>(string alias)
        where TStep : class, IStep => Register(NodeKind.Step, alias, typeof(TStep));

    /// <summary>Registers a step factory under <paramref name="alias"/>.</summary>
    public FlowBuilder AddStep(string alias, Func<NodeContext, IStep> factory) => Register(NodeKind.Step, alias, factory);

    /// <summary>Registers source class <typeparamref name="TSource"/> under <paramref name="alias"/>.</summary>
    public FlowBuilder AddSource<TSource>(string alias)
        where TSource : class, ISource => Register(NodeKind.Source, alias, typeof(TSource));

    /// <summary>Registers a source factory under <paramref name="alias"/>.</summary>
    public FlowBuilder AddSource(string alias, Func<NodeContext, ISource> factory) => Register(NodeKind.Source, alias, factory);

    /// <summary>Registers sink class <typeparamref name="TSink"/> under <paramref name="alias"/>.</summary>
    public FlowBuilder AddSink<TSink>(string alias)
        where TSink : class, ISink => Register(NodeKind.Sink, alias, typeof(TSink));

    /// <summary>Registers a sink factory under <paramref name="alias"/>.</summary>
    public FlowBuilder AddSink(string alias, Func<NodeContext, ISink> factory) => Register(NodeKind.Sink, alias, factory);

    private FlowBuilder Register(NodeKind kind, string alias, Type type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        Services.AddSingleton(new NodeTypeRegistration(registry => registry.Register(kind, alias, type)));
        return this;
    }

    private FlowBuilder Register(NodeKind kind, string alias, Func<NodeContext, object> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new NodeTypeRegistration(registry => registry.Register(kind, alias, factory)));
        return this;
    }
}
