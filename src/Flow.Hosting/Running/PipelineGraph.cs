using System.Globalization;
using System.Text;
using System.Text.Json;
using Flow.Pipelines;

namespace Flow.Hosting.Running;

/// <summary>
/// <c>flow graph</c>: a pipeline's DAG as Mermaid (for a README or a pull request) or as DOT
/// (Graphviz). Given the <c>--report</c> of a run, each step shows its hits and misses and is
/// coloured by them (all hits green, some misses amber, all misses red), so the picture says where
/// a run computed and where it replayed.
/// </summary>
internal static class PipelineGraph
{
    /// <summary>The formats <c>--format</c> takes.</summary>
    public static readonly string[] Formats = ["mermaid", "dot"];

    /// <summary>Draws <paramref name="plan"/>; <paramref name="counts"/> (node name to its counts in a report) may be null.</summary>
    public static string Render(PipelinePlan plan, string format, IReadOnlyDictionary<string, NodeCounts>? counts) =>
        format == "dot" ? Dot(plan, counts) : Mermaid(plan, counts);

    /// <summary>Reads the counts of <paramref name="pipeline"/>'s nodes from a <c>--report</c> file.</summary>
    /// <exception cref="FormatException">The file is not a Flow report, or has no run of that pipeline.</exception>
    public static IReadOnlyDictionary<string, NodeCounts> ReadReport(string path, string pipeline)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"the report '{path}' cannot be read: {ex.Message}", ex);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (!document.RootElement.TryGetProperty("pipelines", out var pipelines) || !pipelines.TryGetProperty(pipeline, out var run))
            {
                throw new FormatException($"the report '{path}' has no run of pipeline '{pipeline}'");
            }

            var counts = new Dictionary<string, NodeCounts>(StringComparer.Ordinal);
            foreach (var node in run.GetProperty("nodes").EnumerateObject())
            {
                counts[node.Name] = new NodeCounts(
                    node.Value.GetProperty("batches").GetInt64(),
                    node.Value.GetProperty("hits").GetInt64(),
                    node.Value.GetProperty("misses").GetInt64());
            }

            return counts;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"'{path}' is not a report of flow run --report: {ex.Message}", ex);
        }
    }

    private static string Mermaid(PipelinePlan plan, IReadOnlyDictionary<string, NodeCounts>? counts)
    {
        var ids = plan.Nodes.Select((n, i) => (n, id: "n" + i.ToString(CultureInfo.InvariantCulture))).ToDictionary(x => x.n.Name, x => x.id, StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append("---\ntitle: ").Append(plan.Name).Append("\n---\nflowchart LR\n");
        foreach (var node in plan.Nodes)
        {
            var label = Escape(node.Name) + "<br/><small>" + Escape(node.Definition.Type) + "</small>";
            if (CountsOf(node, counts) is { } c)
            {
                label += $"<br/>{c.Hits} hits · {c.Misses} misses";
            }

            var (open, close) = node.Kind switch
            {
                NodeKind.Source => ("([\"", "\"])"),
                NodeKind.Sink => ("[[\"", "\"]]"),
                _ => ("[\"", "\"]"),
            };
            text.Append("  ").Append(ids[node.Name]).Append(open).Append(label).Append(close).Append('\n');
        }

        foreach (var node in plan.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                text.Append("  ").Append(ids[input.Name]).Append(" --> ").Append(ids[node.Name]).Append('\n');
            }

            if (node.ErrorSink is not null)
            {
                text.Append("  ").Append(ids[node.Name]).Append(" -. failures .-> ").Append(ids[node.ErrorSink.Name]).Append('\n');
            }
        }

        if (counts is not null)
        {
            text.Append("  classDef hit fill:#dff0d8,stroke:#3c763d\n  classDef partial fill:#fcf8e3,stroke:#8a6d3b\n  classDef miss fill:#f2dede,stroke:#a94442\n");
            foreach (var node in plan.Nodes)
            {
                if (CountsOf(node, counts) is { } c)
                {
                    text.Append("  class ").Append(ids[node.Name]).Append(' ').Append(Class(c)).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private static string Dot(PipelinePlan plan, IReadOnlyDictionary<string, NodeCounts>? counts)
    {
        var text = new StringBuilder();
        text.Append("digraph ").Append(Quote(plan.Name)).Append(" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        foreach (var node in plan.Nodes)
        {
            var label = node.Name + "\n" + node.Definition.Type;
            var style = string.Empty;
            if (CountsOf(node, counts) is { } c)
            {
                label += $"\n{c.Hits} hits, {c.Misses} misses";
                style = Class(c) switch
                {
                    "hit" => ", style=filled, fillcolor=\"#dff0d8\"",
                    "partial" => ", style=filled, fillcolor=\"#fcf8e3\"",
                    _ => ", style=filled, fillcolor=\"#f2dede\"",
                };
            }

            var shape = node.Kind switch
            {
                NodeKind.Source => "cylinder",
                NodeKind.Sink => "folder",
                _ => "box",
            };
            text.Append("  ").Append(Quote(node.Name)).Append(" [shape=").Append(shape).Append(", label=").Append(Quote(label)).Append(style).Append("];\n");
        }

        foreach (var node in plan.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                text.Append("  ").Append(Quote(input.Name)).Append(" -> ").Append(Quote(node.Name)).Append(";\n");
            }

            if (node.ErrorSink is not null)
            {
                text.Append("  ").Append(Quote(node.Name)).Append(" -> ").Append(Quote(node.ErrorSink.Name)).Append(" [style=dashed, label=\"failures\"];\n");
            }
        }

        return text.Append("}\n").ToString();
    }

    private static NodeCounts? CountsOf(PlannedNode node, IReadOnlyDictionary<string, NodeCounts>? counts) =>
        node.Kind == NodeKind.Step && counts is not null && counts.TryGetValue(node.Name, out var c) ? c : null;

    private static string Class(NodeCounts counts) =>
        counts.Misses == 0 ? "hit" : counts.Hits == 0 ? "miss" : "partial";

    // Mermaid labels: quotes and angle brackets as entities, so a node name cannot break the markup.
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("\"", "#quot;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    /// <summary>One node's counts in a report.</summary>
    internal sealed record NodeCounts(long Batches, long Hits, long Misses);
}
