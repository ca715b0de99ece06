using Flow.Pipelines;

namespace Flow.Hosting.Building;

/// <summary>A pipeline written in C#, kept in DI until the catalog reads it.</summary>
internal sealed record CodePipeline(PipelineDefinition Definition);
