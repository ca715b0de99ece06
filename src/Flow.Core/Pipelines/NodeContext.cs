using Flow.Parameters;
using Microsoft.Extensions.Logging;
using Flow.Pipelines;

namespace Flow;

/// <summary>What a node factory gets to build one node: its name, parameters and the services of the host.</summary>
public sealed class NodeContext
{
    internal NodeContext(string pipelineName, string nodeName, NodeParameters parameters, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        PipelineName = pipelineName;
        NodeName = nodeName;
        Parameters = parameters;
        Services = services;
        LoggerFactory = loggerFactory;
    }

    /// <summary>Name of the pipeline the node belongs to.</summary>
    public string PipelineName { get; }

    /// <summary>Name of the node.</summary>
    public string NodeName { get; }

    /// <summary>The node's <c>Params</c>.</summary>
    public NodeParameters Parameters { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>For the node's own logger.</summary>
    public ILoggerFactory LoggerFactory { get; }
}
