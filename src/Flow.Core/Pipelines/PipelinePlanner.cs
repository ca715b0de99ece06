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

    /// <summary>
    /// Plans a pipeline, building and initializing every node once to check it (the first run takes
    /// those instances), or throws <see cref="FlowConfigurationException"/> with every problem found.
    /// </summary>
    public async Task<PipelinePlan> PlanAsync(PipelineDefinition definition, CancellationToken cancellationToken = default)
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

        var errorSinks = ResolveErrorSinks(definition, byName, errors);
        var inputs = ResolveInputs(definition, byName, errorSinks.Values.ToHashSet(StringComparer.Ordinal), errors);
        CheckErrorSinksGetOnlyFailures(byName, errorSinks, inputs, errors);

        // An error sink comes after the nodes that send it their failures (in the summary, the graph, the disposal order).
        var order = errors.Count == 0 ? TopologicalOrder(definition, WithErrorEdges(inputs, errorSinks), errors) : null;
        if (order is not null)
        {
            CheckEveryStepReachesASink(definition, inputs, errors);
        }

        // Nodes are built even when the graph has problems, so one run of `flow validate` reports everything.
        var builder = new NodeBuilder(definition.Name, _services, _loggerFactory, _baseDirectory);
        var planned = new Dictionary<string, PlannedNode>(StringComparer.Ordinal);
        var built = new Dictionary<string, NodeInstance>(StringComparer.Ordinal);
        foreach (var node in definition.AllNodes)
        {
            if (planned.ContainsKey(node.Name) || Resolve(node, errors) is not { } plannedNode)
            {
                continue;
            }

            planned[node.Name] = plannedNode;
            if (await builder.BuildAsync(plannedNode, errors, cancellationToken).ConfigureAwait(false) is { } instance)
            {
                built[node.Name] = instance;
            }
        }

        CheckOutputFiles(built.Values, errors);
        if (errors.Count > 0 || order is null)
        {
            await new RunNodes(built).DisposeAsync().ConfigureAwait(false);
            throw new FlowConfigurationException(errors);
        }

        foreach (var node in order)
        {
            foreach (var input in inputs[node.Name])
            {
                planned[node.Name].Inputs.Add(planned[input]);
                planned[input].Consumers.Add(planned[node.Name]);
            }

            if (errorSinks.TryGetValue(node.Name, out var errorSink))
            {
                planned[node.Name].ErrorSink = planned[errorSink];
                planned[errorSink].ErrorProducers.Add(planned[node.Name]);
            }
        }

        return new PipelinePlan(definition, order.Select(n => planned[n.Name]).ToList(), builder, built);
    }

    /// <summary>Finds how to build a node; null (with the problem recorded) for an unknown type.</summary>
    private PlannedNode? Resolve(NodeDefinition node, List<ConfigurationError> errors)
    {
        if (node.Instance is not null)
        {
            return new PlannedNode(node, null, NodeTypeRegistry.CanonicalName(node.Instance.GetType()));
        }

        if (string.IsNullOrWhiteSpace(node.Type))
        {
            return null; // already reported by the reader
        }

        if (!_registry.TryResolve(node.Kind, node.Type, out var registration, out var error))
        {
            errors.Add(new ConfigurationError(node.ConfigPath + ":Type", error!));
            return null;
        }

        return new PlannedNode(node, registration, registration!.Canonical);
    }

    /// <summary>Each node's <c>ErrorSink</c> (producer name to sink name), for those that name a sink that can be one.</summary>
    private static Dictionary<string, string> ResolveErrorSinks(PipelineDefinition definition, Dictionary<string, NodeDefinition> byName, List<ConfigurationError> errors)
    {
        var errorSinks = new Dictionary<string, string>(StringComparer.Ordinal);
        var sinkNames = definition.Sinks.Select(s => s.Name).ToList();
        foreach (var node in definition.Steps.Concat(definition.Sinks).Where(n => n.ErrorSink is not null))
        {
            var path = node.ConfigPath + ":ErrorSink";
            var named = node.ErrorSink!;
            if (!byName.TryGetValue(named, out var target))
            {
                errors.Add(new ConfigurationError(path, $"'{named}' is not a node of this pipeline{Parameters.Suggestions.DidYouMean(named, sinkNames)}; ErrorSink names one of its sinks ({string.Join(", ", sinkNames)})"));
            }
            else if (target.Kind != NodeKind.Sink)
            {
                errors.Add(new ConfigurationError(path, $"'{named}' is a {target.Kind.ToString().ToLowerInvariant()}; ErrorSink names one of the pipeline's sinks ({string.Join(", ", sinkNames)})"));
            }
            else if (ReferenceEquals(target, node))
            {
                errors.Add(new ConfigurationError(path, $"'{node.Name}' cannot be its own error sink: name another sink"));
            }
            else if (target.ErrorSink is not null)
            {
                errors.Add(new ConfigurationError(path, $"'{named}' names an ErrorSink of its own ('{target.ErrorSink}'); an error sink cannot pass its failures on (a failure to write an error stops the run), so name a sink without one"));
            }
            else
            {
                errorSinks[node.Name] = named;
            }
        }

        return errorSinks;
    }

    /// <summary>An error sink that also read its producer's output would mix good records and failures in one output.</summary>
    private static void CheckErrorSinksGetOnlyFailures(Dictionary<string, NodeDefinition> byName, Dictionary<string, string> errorSinks, Dictionary<string, List<string>> inputs, List<ConfigurationError> errors)
    {
        foreach (var (producer, sink) in errorSinks)
        {
            if (inputs.TryGetValue(sink, out var sinkInputs) && sinkInputs.Contains(producer, StringComparer.Ordinal))
            {
                errors.Add(new ConfigurationError(byName[producer].ConfigPath + ":ErrorSink",
                    $"'{sink}' also reads the output of '{producer}'; an error sink gets failures only, so name another sink (or take '{producer}' out of the Inputs of '{sink}')"));
            }
        }
    }

    /// <summary>The inputs plus the failures' edges (producer to its error sink), for ordering.</summary>
    private static Dictionary<string, List<string>> WithErrorEdges(Dictionary<string, List<string>> inputs, Dictionary<string, string> errorSinks)
    {
        var combined = inputs.ToDictionary(i => i.Key, i => new List<string>(i.Value), StringComparer.Ordinal);
        foreach (var (producer, sink) in errorSinks)
        {
            combined[sink].Add(producer);
        }

        return combined;
    }

    private static Dictionary<string, List<string>> ResolveInputs(PipelineDefinition definition, Dictionary<string, NodeDefinition> byName, IReadOnlySet<string> errorSinks, List<ConfigurationError> errors)
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

        // Default input: the previous step; the first step reads every source; sinks read the last
        // step, except an error sink, which gets failures only unless its Inputs say otherwise.
        var previous = definition.Sources.Select(s => s.Name).ToList();
        foreach (var node in definition.Steps.Concat(definition.Sinks))
        {
            var named = node.Inputs ?? (errorSinks.Contains(node.Name) ? [] : previous);
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
                else if (ReferenceEquals(input, node))
                {
                    errors.Add(new ConfigurationError(inputPath, $"'{node.Name}' cannot read its own output"));
                }
                else if (input.Name == node.Name)
                {
                    // A second node under the same name: the duplicate is the problem, already reported.
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

        // What is left holds the cycles and whatever hangs below them; name only the nodes on a cycle.
        foreach (var cycle in Cycles(nodes.Where(n => pending[n.Name] > 0).ToList(), inputs))
        {
            var names = string.Join(", ", cycle.Select(c => c.Name));
            foreach (var node in cycle)
            {
                errors.Add(new ConfigurationError(node.ConfigPath + ":Inputs", $"'{node.Name}' is part of a cycle (the nodes {names} read from each other)"));
            }
        }

        return null;
    }

    /// <summary>The cycles among <paramref name="nodes"/> (strongly connected components of more than one node, or a node reading itself), each in input order.</summary>
    private static List<List<NodeDefinition>> Cycles(List<NodeDefinition> nodes, Dictionary<string, List<string>> inputs)
    {
        var byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<NodeDefinition>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<List<NodeDefinition>>();
        var counter = 0;

        // Tarjan's algorithm over "reads from" edges; pipelines are small, recursion is fine.
        void Visit(NodeDefinition node)
        {
            index[node.Name] = low[node.Name] = counter++;
            stack.Push(node);
            onStack.Add(node.Name);
            foreach (var input in inputs[node.Name].Where(byName.ContainsKey))
            {
                if (!index.ContainsKey(input))
                {
                    Visit(byName[input]);
                    low[node.Name] = Math.Min(low[node.Name], low[input]);
                }
                else if (onStack.Contains(input))
                {
                    low[node.Name] = Math.Min(low[node.Name], index[input]);
                }
            }

            if (low[node.Name] != index[node.Name])
            {
                return;
            }

            var component = new List<NodeDefinition>();
            NodeDefinition member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member.Name);
                component.Add(member);
            }
            while (!ReferenceEquals(member, node));

            if (component.Count > 1 || inputs[node.Name].Contains(node.Name, StringComparer.Ordinal))
            {
                // In declaration order, as the user wrote them.
                cycles.Add(nodes.Where(component.Contains).ToList());
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n.Name)))
        {
            Visit(node);
        }

        return cycles;
    }

    /// <summary>Paths compare as the file system does: case matters on Linux, not on Windows or macOS.</summary>
    internal static readonly StringComparer PathComparer =
        OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    /// <summary>Two sinks on one file, or a sink writing a file the pipeline reads, would destroy data.</summary>
    private static void CheckOutputFiles(IEnumerable<NodeInstance> nodes, List<ConfigurationError> errors)
    {
        var built = nodes.ToList();
        var outputs = new Dictionary<string, NodeInstance>(PathComparer);
        foreach (var node in built.Where(n => n.Instance is Sinks.IFileOutput))
        {
            var target = ((Sinks.IFileOutput)node.Instance).TargetPath;
            if (!outputs.TryAdd(target, node))
            {
                errors.Add(new ConfigurationError(node.Node.Definition.ConfigPath + ":Params:Path",
                    $"'{target}' is also the output of sink '{outputs[target].Name}' ({outputs[target].Node.Definition.ConfigPath}); each sink needs a file of its own"));
            }

            foreach (var reader in built.Where(n => n.Parameters.InputFiles.Contains(target, PathComparer)))
            {
                errors.Add(new ConfigurationError(node.Node.Definition.ConfigPath + ":Params:Path",
                    $"'{target}' is read by '{reader.Name}' of the same pipeline; writing it would replace the input while it is read"));
            }
        }
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
