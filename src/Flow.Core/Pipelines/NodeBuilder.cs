using Flow.Parameters;
using Microsoft.Extensions.Logging;

namespace Flow.Pipelines;

/// <summary>
/// Builds the nodes of one pipeline: creates each from its registration, lets it initialize
/// asynchronously (<see cref="IAsyncInitializable"/>), and collects every problem with its
/// configuration path, a parameter the node does not know included.
/// </summary>
internal sealed class NodeBuilder
{
    private readonly string _pipeline;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _baseDirectory;

    public NodeBuilder(string pipeline, IServiceProvider services, ILoggerFactory loggerFactory, string baseDirectory)
    {
        _pipeline = pipeline;
        _services = services;
        _loggerFactory = loggerFactory;
        _baseDirectory = baseDirectory;
    }

    /// <summary>Builds and initializes <paramref name="node"/>; null (with the problems in <paramref name="errors"/>) when it cannot be.</summary>
    public async Task<NodeInstance?> BuildAsync(PlannedNode node, List<ConfigurationError> errors, CancellationToken cancellationToken)
    {
        var definition = node.Definition;
        var parameters = new NodeParameters(definition.Params, definition.ConfigPath + ":Params", _baseDirectory);
        if (definition.Instance is { } given)
        {
            // An object written in C#: its owner made it, initializes it once, and disposes it.
            return await InitializeAsync(new NodeInstance(node, given, parameters, behaviour: null, ownedByFlow: false), errors, cancellationToken).ConfigureAwait(false);
        }

        var registration = node.Registration!;
        object? instance = null;
        try
        {
            instance = registration.Factory(new NodeContext(_pipeline, node.Name, parameters, _services, _loggerFactory));
        }
        catch (FlowConfigurationException ex)
        {
            errors.AddRange(ex.Errors);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            errors.Add(new ConfigurationError(definition.ConfigPath, $"cannot create {Describe(node)}: {ex.GetBaseException().Message}"));
        }

        var built = instance is null ? null : await InitializeAsync(new NodeInstance(node, instance, parameters, registration.Behaviour, ownedByFlow: true), errors, cancellationToken).ConfigureAwait(false);

        // Also when building failed: a required "Where" that is missing is best explained next to the "Wher" that was given.
        errors.AddRange(parameters.UnknownParameters(Describe(node), registration.Parameters));
        return built;
    }

    private static async Task<NodeInstance?> InitializeAsync(NodeInstance node, List<ConfigurationError> errors, CancellationToken cancellationToken)
    {
        if (node.Instance is not IAsyncInitializable initializable || !node.TryClaimInitialization())
        {
            return node;
        }

        try
        {
            await initializable.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch (FlowConfigurationException ex)
        {
            errors.AddRange(ex.Errors);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            errors.Add(new ConfigurationError(node.Node.Definition.ConfigPath, $"cannot initialize {Describe(node.Node)}: {ex.GetBaseException().Message}"));
        }

        await node.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private static string Describe(PlannedNode node) => $"{node.Kind.ToString().ToLowerInvariant()} type '{node.Definition.Type}'";
}
