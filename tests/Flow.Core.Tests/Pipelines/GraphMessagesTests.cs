using Flow.Pipelines;

namespace Flow.Core.Tests.Pipelines;

/// <summary>Graph problems are reported once, at the node that has them, and nowhere else.</summary>
public sealed class GraphMessagesTests
{
    private const string Source = """{ "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } }""";

    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task DuplicateName_IsTheOnlyError_NotAlsoReadingItsOwnOutput()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ {{Source}} ],
              "Steps": [
                { "Name": "x", "Type": "Select", "Params": { "Fields": [ "delay" ] } },
                { "Name": "x", "Type": "Drop", "Params": { "Fields": [ "delay" ] } }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:1:Name", error.Path);
        Assert.Contains("duplicate node name 'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoStepCycle_NamesOnlyTheTwoSteps_NotTheSinkBelowIt()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ {{Source}} ],
              "Steps": [
                { "Name": "ok", "Type": "Select", "Params": { "Fields": [ "delay" ] } },
                { "Name": "a", "Type": "Select", "Inputs": [ "b" ], "Params": { "Fields": [ "delay" ] } },
                { "Name": "b", "Type": "Select", "Inputs": [ "a" ], "Params": { "Fields": [ "delay" ] } },
                { "Name": "after", "Type": "Select", "Inputs": [ "b", "ok" ], "Params": { "Fields": [ "delay" ] } }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect", "Inputs": [ "after" ] } ]
            }
            """);

        Assert.Equal(new[] { "Flow:Pipelines:p:Steps:1:Inputs", "Flow:Pipelines:p:Steps:2:Inputs" }, errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("the nodes a, b read from each other", e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Message.Contains("out", StringComparison.Ordinal) || e.Message.Contains("after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StepReadingItself_IsACycleOfOne()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ {{Source}} ],
              "Steps": [ { "Name": "a", "Type": "Select", "Inputs": [ "a" ], "Params": { "Fields": [ "delay" ] } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:0:Inputs:0" && e.Message.Contains("cannot read its own output", StringComparison.Ordinal));
    }
}
