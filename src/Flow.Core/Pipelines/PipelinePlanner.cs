using Flow.Parameters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Pipelines;

/// <summary>
/// Validates a pipeline definition and builds its nodes, collecting every problem with its
/// configuration path. Building a node is where its parameters are checked (files readable,
/// expressions compiled, durations parsed), so nothing starts running with a bad configuration.
/// </summary>
internal sealed class PipelinePlanner
{
    /// <summary>The most batches one step may process at once.</summary>
    public const int MaxParallelism = 1024;

    private readonly NodeTypeRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _baseDirectory;

    public PipelinePlanner(NodeTypeRegistry registry, IServiceProvider services, ILoggerFactory? loggerFactory = null, string? baseDirectory = null)
    {
        _registry = registry;
        _services = services;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _baseDirectory = baseDirectory ?? Directory.GetCurrentDirectory();
    }

    /// <summary>Plans a pipeline or throws <see cref="FlowConfigurationException"/> with every problem found.</summary>
    public PipelinePlan Plan(PipelineDefinition definition)
    {
        var errors = new List<ConfigurationError>(definition.ReadErrors);
        var byName = new Dictionary<string, NodeDefinition>(StringComparer.Ordinal);
        foreach (var node in definition.AllNodes)
        {
            if (!byName.TryAdd(node.Name, node))
            {
                errors.Add(new ConfigurationError(node.ConfigPath + ":Name", $"duplicate node name '{node.Name}' (also {byName[node.Name].ConfigPath})"));
            }
        }

        foreach (var step in definition.Steps.Where(s => s.Parallelism is < 1 or > MaxParallelism))
        {
            errors.Add(new ConfigurationError(step.ConfigPath + ":Parallelism", $"{step.Parallelism} is not between 1 and {MaxParallelism}"));
        }

        if (definition.BatchSize < 1)
        {
            errors.Add(new ConfigurationError(definition.ConfigPath + ":BatchSize", $"{definition.BatchSize} is not a whole number of at least 1"));
        }

        if (definition.Sources.Count == 0)
        {
            errors.Add(new ConfigurationError(definition.ConfigPath + ":Sources", "a pipeline needs at least one source"));
        }

        if (definition.Sinks.Count == 0)
        {
            errors.Add(new ConfigurationError(definition.ConfigPath + ":Sinks", "a pipeline needs at least one sink"));
        }

        var inputs = ResolveInputs(definition, byName, errors);
        var order = errors.Count == 0 ? TopologicalOrder(definition, inputs, errors) : null;
        if (order is not null)
        {
            CheckEveryStepReachesASink(definition, inputs, errors);
        }

        // Nodes are built even when the graph has problems, so one run of `flow validate` reports everything.
        var built = new Dictionary<string, PlannedNode>(StringComparer.Ordinal);
        foreach (var node in definition.AllNodes)
        {
            if (built.ContainsKey(node.Name))
            {
                continue;
            }

            var parameters = new NodeParameters(node.Params, node.ConfigPath + ":Params", _baseDirectory);
            var (instance, canonicalType) = Build(definition, node, parameters, errors);
            if (instance is not null)
            {
                built[node.Name] = new PlannedNode(node, instance, canonicalType, parameters);
            }
        }

        if (errors.Count > 0 || order is null)
        {
            throw new FlowConfigurationException(errors);
        }

        foreach (var node in order)
        {
            var planned = built[node.Name];
            foreach (var input in inputs[node.Name])
            {
                planned.Inputs.Add(built[input]);
                built[input].Consumers.Add(planned);
            }
        }

        return new PipelinePlan(definition, order.Select(n => built[n.Name]).ToList());
    }

    private (object? Instance, string CanonicalType) Build(PipelineDefinition pipeline, NodeDefinition node, NodeParameters parameters, List<ConfigurationError> errors)
    {
        if (node.Instance is not null)
        {
            return (node.Instance, NodeTypeRegistry.CanonicalName(node.Instance.GetType()));
        }

        if (string.IsNullOrWhiteSpace(node.Type))
        {
            return (null, node.Type); // already reported by the reader
        }

        if (!_registry.TryResolve(node.Kind, node.Type, out var factory, out var canonicalType, out var error))
        {
            errors.Add(new ConfigurationError(node.ConfigPath + ":Type", error!));
            return (null, node.Type);
        }

        try
        {
            return (factory!(new NodeContext(pipeline.Name, node.Name, parameters, _services, _loggerFactory)), canonicalType);
        }
        catch (FlowConfigurationException ex)
        {
            errors.AddRange(ex.Errors);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            errors.Add(new ConfigurationError(node.ConfigPath, $"cannot create {node.Kind.ToString().ToLowerInvariant()} '{node.Type}': {ex.GetBaseException().Message}"));
        }

        return (null, canonicalType);
    }

    private static Dictionary<string, List<string>> ResolveInputs(PipelineDefinition definition, Dictionary<string, NodeDefinition> byName, List<ConfigurationError> errors)
    {
        var inputs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var source in definition.Sources)
        {
            if (source.Inputs is { Count: > 0 })
            {
                errors.Add(new ConfigurationError(source.ConfigPath + ":Inputs", "a source takes no inputs"));
            }

            inputs[source.Name] = new List<string>();
        }

        // Default input: the previous step; the first step reads every source; sinks read the last step.
        var previous = definition.Sources.Select(s => s.Name).ToList();
        foreach (var node in definition.Steps.Concat(definition.Sinks))
        {
            var named = node.Inputs ?? previous;
            var resolved = new List<string>();
            for (var i = 0; i < named.Count; i++)
            {
                var inputPath = node.Inputs is null ? node.ConfigPath : $"{node.ConfigPath}:Inputs:{i}";
                if (!byName.TryGetValue(named[i], out var input))
                {
                    errors.Add(new ConfigurationError(inputPath, $"input '{named[i]}' is not a node of this pipeline"));
                }
                else if (input.Kind == NodeKind.Sink)
                {
                    errors.Add(new ConfigurationError(inputPath, $"input '{named[i]}' is a sink; sinks produce nothing to read"));
                }
                else if (resolved.Contains(input.Name, StringComparer.Ordinal))
                {
                    errors.Add(new ConfigurationError(inputPath, $"input '{named[i]}' is named twice"));
                }
                else if (input.Name == node.Name)
                {
                    errors.Add(new ConfigurationError(inputPath, $"'{node.Name}' cannot read its own output"));
                }
                else
                {
                    resolved.Add(input.Name);
                }
            }

            inputs.TryAdd(node.Name, resolved);
            if (node.Kind == NodeKind.Step)
            {
                previous = new List<string> { node.Name };
            }
        }

        return inputs;
    }

    private static List<NodeDefinition>? TopologicalOrder(PipelineDefinition definition, Dictionary<string, List<string>> inputs, List<ConfigurationError> errors)
    {
        var nodes = definition.AllNodes.ToList();
        var pending = nodes.ToDictionary(n => n.Name, n => inputs[n.Name].Count, StringComparer.Ordinal);
        var order = new List<NodeDefinition>();
        var ready = new Queue<NodeDefinition>(nodes.Where(n => pending[n.Name] == 0));
        while (ready.Count > 0)
        {
            var node = ready.Dequeue();
            order.Add(node);
            foreach (var consumer in nodes.Where(n => inputs[n.Name].Contains(node.Name, StringComparer.Ordinal)))
            {
                if (--pending[consumer.Name] == 0)
                {
                    ready.Enqueue(consumer);
                }
            }
        }

        if (order.Count == nodes.Count)
        {
            return order;
        }

        var cyclic = nodes.Where(n => pending[n.Name] > 0).ToList();
        foreach (var node in cyclic)
        {
            errors.Add(new ConfigurationError(node.ConfigPath + ":Inputs",
                $"'{node.Name}' is part of a cycle ({string.Join(" -> ", cyclic.Select(c => c.Name))})"));
        }

        return null;
    }

    private static void CheckEveryStepReachesASink(PipelineDefinition definition, Dictionary<string, List<string>> inputs, List<ConfigurationError> errors)
    {
        var reaches = new HashSet<string>(definition.Sinks.Select(s => s.Name), StringComparer.Ordinal);
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var (node, nodeInputs) in inputs)
            {
                if (!reaches.Contains(node))
                {
                    continue;
                }

                foreach (var input in nodeInputs)
                {
                    changed |= reaches.Add(input);
                }
            }
        }

        foreach (var node in definition.Sources.Concat(definition.Steps).Where(n => !reaches.Contains(n.Name)))
        {
            errors.Add(new ConfigurationError(node.ConfigPath, $"the output of '{node.Name}' reaches no sink"));
        }
    }
}
