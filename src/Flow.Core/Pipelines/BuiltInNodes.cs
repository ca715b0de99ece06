using Flow.Expressions;
using Flow.Sinks.BuiltIn;
using Flow.Sources.BuiltIn;
using Flow.Steps.BuiltIn;
using Microsoft.Extensions.Logging;

namespace Flow.Pipelines;

/// <summary>The built-in node types, under the names DESIGN.md gives them.</summary>
/// <remarks>
/// Each step carries a behaviour version that joins its cache signature: bump a step's own number
/// whenever a release changes what it outputs for the same input and parameters. Steps built on
/// shared parts (the expression language, the file readers) include those parts' versions, so a
/// change there invalidates exactly the steps that use them. Each also declares its parameter names:
/// a key under <c>Params</c> that is none of them is a configuration error, even when building the
/// node failed before it read them all.
/// </remarks>
internal static class BuiltInNodes
{
    private static readonly string Expressions = "expressions." + CompiledExpression.BehaviourVersion;

    public static NodeTypeRegistry CreateRegistry()
    {
        var registry = new NodeTypeRegistry();
        registry.Register(NodeKind.Source, "Json", c => new JsonSource(c.Parameters, c.LoggerFactory.CreateLogger(typeof(JsonSource).FullName!)), parameters: ["Path"]);
        registry.Register(NodeKind.Source, "JsonLines", c => new JsonLinesSource(c.Parameters, c.LoggerFactory.CreateLogger(typeof(JsonLinesSource).FullName!)), parameters: ["Path"]);
        registry.Register(NodeKind.Source, "Csv", c => new CsvSource(c.Parameters), parameters: ["Path", "Delimiter", "Header", "InferTypes", "DuplicateHeaders", "RaggedRows", "TextColumns"]);
        registry.Register(NodeKind.Source, "Generate", c => new GenerateSource(c.Parameters), parameters: ["Count", "Seed", "Fields"]);

        registry.Register(NodeKind.Step, "Select", c => new SelectStep(c.Parameters), "1", ["Fields"]);
        registry.Register(NodeKind.Step, "Drop", c => new DropStep(c.Parameters), "1", ["Fields"]);
        registry.Register(NodeKind.Step, "Rename", c => new RenameStep(c.Parameters), "1", ["Map"]);
        registry.Register(NodeKind.Step, "Filter", c => new FilterStep(c.Parameters), "1+" + Expressions, ["Where"]);
        registry.Register(NodeKind.Step, "Compute", c => new ComputeStep(c.Parameters), "1+" + Expressions, ["Set"]);
        registry.Register(NodeKind.Step, "Lookup", c => new LookupStep(c.Parameters, c.LoggerFactory.CreateLogger<LookupStep>()), LookupStep.Behaviour, ["File", "Key", "On", "Prefix", "Required"]);
        registry.Register(NodeKind.Step, "Http", c => new HttpStep(c.Parameters, c.Services.GetService(typeof(IHttpClientFactory)) as IHttpClientFactory, c.LoggerFactory.CreateLogger<HttpStep>()), HttpStep.Behaviour, HttpStep.Parameters);
        registry.Register(NodeKind.Step, "Sleep", c => new SleepStep(c.Parameters), "1", ["PerRecord", "PerBatch"]);

        registry.Register(NodeKind.Sink, "JsonLines", c => new JsonLinesSink(c.Parameters), parameters: ["Path"]);
        registry.Register(NodeKind.Sink, "Csv", c => new CsvSink(c.Parameters), parameters: ["Path", "Delimiter"]);
        registry.Register(NodeKind.Sink, "Console", _ => new ConsoleSink(), parameters: []);
        return registry;
    }
}
