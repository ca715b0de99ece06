namespace Flow.Worker.Tests;

/// <summary><c>flow graph</c>: the DAG as Mermaid or DOT, and with a run's report, where it hit and where it computed.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class GraphCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Pipeline(string where) => $$"""
        {
          "BatchSize": 1000,
          "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
          "Steps": [
            { "Name": "late", "Type": "Filter", "Params": { "Where": "{{where}}" } },
            { "Name": "hours", "Type": "Compute", "Params": { "Set": { "hours": "delay / 60" } } },
            { "Name": "early", "Type": "Filter", "Inputs": [ "flights" ], "Params": { "Where": "delay < 0" } }
          ],
          "Sinks": [
            { "Name": "out", "Type": "JsonLines", "Inputs": [ "hours" ], "Params": { "Path": "out/late.jsonl" } },
            { "Name": "early-out", "Type": "JsonLines", "Inputs": [ "early" ], "Params": { "Path": "out/early.jsonl" } }
          ]
        }
        """;

    [Fact]
    public async Task Graph_WithoutAReport_DrawsEveryNodeAndEdgeAsMermaid()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(Pipeline("delay > 15"));

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "graph", "--config", config);

        Assert.Equal(0, flow.ExitCode);
        var lines = flow.StandardOutput.Split('\n').Select(l => l.Trim()).ToList();
        Assert.Contains("flowchart LR", lines);
        Assert.Contains("n0([\"flights<br/><small>Json</small>\"])", lines);
        Assert.Contains("n0 --> n1", lines);
        Assert.Contains("n0 --> n2", lines);
        Assert.Contains("n1 --> n3", lines);
        Assert.Contains("n2 --> n4", lines);
        Assert.Contains("n3 --> n5", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("class ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("mermaid", "n1 -. failures .-> n3", "n1 --> n3")]
    [InlineData("dot", "\"late\" -> \"errors\" [style=dashed, label=\"failures\"];", "\"late\" -> \"errors\";")]
    public async Task Graph_StepWithAnErrorSink_DrawsItsFailuresEdgeDashed(string format, string edge, string notAnInput)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "late", "Type": "Filter", "ErrorSink": "errors", "Params": { "Where": "delay > 15" } } ],
              "Sinks": [
                { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } },
                { "Name": "errors", "Type": "JsonLines", "Params": { "Path": "out/errors.jsonl" } }
              ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "graph", "--config", config, "--format", format);

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        var lines = flow.StandardOutput.Split('\n').Select(l => l.Trim()).ToList();
        Assert.Contains(edge, lines);
        Assert.DoesNotContain(notAnInput, lines); // the error sink reads no step
    }

    [Fact]
    public async Task Graph_WithTheReportOfAPartialHit_ColoursEachStepByItsHitsAndMisses()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(Pipeline("delay > 15"));
        await using (var first = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config))
        {
            Assert.Equal(0, first.ExitCode);
        }

        // The changed filter misses, the Compute after it misses (its input changed), the other branch hits.
        await using (var second = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config,
                         "--report", "report.json", "--Flow:Pipelines:p:Steps:0:Params:Where=delay > 30"))
        {
            Assert.Equal(0, second.ExitCode);
        }

        await using var mermaid = await FlowProcess.RunAsync(workspace.Path, Timeout, "graph", "--config", config, "--report", "report.json");
        await using var dot = await FlowProcess.RunAsync(workspace.Path, Timeout, "graph", "--config", config, "--report", "report.json", "--format", "dot");

        Assert.Equal(0, mermaid.ExitCode);
        Assert.Contains("n1[\"late<br/><small>Filter</small><br/>0 hits · 20 misses\"]", mermaid.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("class n1 miss", mermaid.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("class n3 miss", mermaid.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("class n2 hit", mermaid.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, dot.ExitCode);
        Assert.StartsWith("digraph \"p\" {", dot.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"early\" [shape=box, label=\"early\\nFilter\\n20 hits, 0 misses\", style=filled, fillcolor=\"#dff0d8\"];", dot.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"flights\" -> \"early\";", dot.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "svg", "'svg' not recognized")]
    [InlineData("--report", "missing.json", "the report 'missing.json' cannot be read")]
    public async Task Graph_BadFormatOrReport_ExitsTwoSayingWhy(string option, string value, string message)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(Pipeline("delay > 15"));

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "graph", "--config", config, option, value);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains(message, flow.StandardError, StringComparison.Ordinal);
    }
}
