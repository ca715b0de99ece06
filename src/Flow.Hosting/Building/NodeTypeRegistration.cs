using Flow.Pipelines;

namespace Flow.Hosting.Building;

/// <summary>A custom node type registered through <see cref="FlowBuilder"/>, applied when the registry is built.</summary>
internal sealed record NodeTypeRegistration(Action<NodeTypeRegistry> Apply);
