namespace Flow.Pipelines;

/// <summary>
/// A node type registered in DI, applied to the registry when a host's pipelines are first read.
/// It lives in Core so that plug-ins (Flow.Redis's stream source and sink) register their node types
/// the same way <c>FlowBuilder</c> registers a user's, without referencing the hosting library.
/// </summary>
internal sealed record NodeTypeRegistration(Action<NodeTypeRegistry> Apply);
