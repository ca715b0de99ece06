using Flow.Sinks.BuiltIn;
using Flow.Sources.BuiltIn;
using Flow.Steps.BuiltIn;

namespace Flow.Pipelines;

/// <summary>The built-in node types, under the names DESIGN.md gives them.</summary>
internal static class BuiltInNodes
{
    public static NodeTypeRegistry CreateRegistry()
    {
        var registry = new NodeTypeRegistry();
        registry.Register(NodeKind.Source, "Json", c => new JsonSource(c.Parameters, c.LoggerFactory.CreateLogger(typeof(JsonSource).FullName!)));
        registry.Register(NodeKind.Source, "JsonLines", c => new JsonLinesSource(c.Parameters, c.LoggerFactory.CreateLogger(typeof(JsonLinesSource).FullName!)));
        registry.Register(NodeKind.Source, "Csv", c => new CsvSource(c.Parameters));
        registry.Register(NodeKind.Source, "Generate", c => new GenerateSource(c.Parameters));

        registry.Register(NodeKind.Step, "Select", c => new SelectStep(c.Parameters));
        registry.Register(NodeKind.Step, "Drop", c => new DropStep(c.Parameters));
        registry.Register(NodeKind.Step, "Rename", c => new RenameStep(c.Parameters));
        registry.Register(NodeKind.Step, "Filter", c => new FilterStep(c.Parameters));
        registry.Register(NodeKind.Step, "Compute", c => new ComputeStep(c.Parameters));
        registry.Register(NodeKind.Step, "Lookup", c => new LookupStep(c.Parameters));
        registry.Register(NodeKind.Step, "Sleep", c => new SleepStep(c.Parameters));

        registry.Register(NodeKind.Sink, "JsonLines", c => new JsonLinesSink(c.Parameters));
        registry.Register(NodeKind.Sink, "Csv", c => new CsvSink(c.Parameters));
        registry.Register(NodeKind.Sink, "Console", _ => new ConsoleSink());
        return registry;
    }
}
