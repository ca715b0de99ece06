using Flow.Pipelines;

namespace Flow.Core.Tests.Pipelines;

public sealed class PipelinePlannerTests
{
    private const string Source = """{ "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } }""";
    private const string Sink = """{ "Name": "out", "Type": "Collect" }""";

    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task UnknownStepType_IsReportedAtItsType()
    {
        var errors = await ErrorsAsync($$"""[ { "Name": "x", "Type": "NoSuchStep" } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:0:Type", error.Path);
        Assert.Contains("unknown step type 'NoSuchStep'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cycle_IsReportedAtTheInputsOfEveryNodeInIt()
    {
        var errors = await ErrorsAsync("""
            [
              { "Name": "a", "Type": "Select", "Inputs": [ "b" ], "Params": { "Fields": [ "delay" ] } },
              { "Name": "b", "Type": "Select", "Inputs": [ "a" ], "Params": { "Fields": [ "delay" ] } }
            ]
            """);

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:0:Inputs" && e.Message.Contains("cycle", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:1:Inputs" && e.Message.Contains("cycle", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingInput_IsReportedAtThatInput()
    {
        var errors = await ErrorsAsync("""[ { "Name": "a", "Type": "Select", "Inputs": [ "flights", "ghost" ], "Params": { "Fields": [ "delay" ] } } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:0:Inputs:1", error.Path);
        Assert.Contains("'ghost'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadExpression_IsReportedAtItsParameter()
    {
        var errors = await ErrorsAsync("""
            [
              { "Name": "ok", "Type": "Filter", "Params": { "Where": "delay > 15" } },
              { "Name": "bad", "Type": "Filter", "Params": { "Where": "delay > > 15" } }
            ]
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:1:Params:Where", error.Path);
        Assert.Contains("delay > > 15", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadableSourceFile_IsReportedAtItsPath()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": "samples/data/missing.json" } } ],
              "Sinks": [ {{Sink}} ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Sources:0:Params:Path", error.Path);
        Assert.Contains("missing.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateNames_AreReportedAtTheSecondName()
    {
        var errors = await ErrorsAsync("""
            [
              { "Name": "x", "Type": "Select", "Params": { "Fields": [ "delay" ] } },
              { "Name": "x", "Type": "Drop", "Params": { "Fields": [ "delay" ] } }
            ]
            """);

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:1:Name" && e.Message.Contains("duplicate node name 'x'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoSink_IsReported()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""{ "Sources": [ {{Source}} ] }""");

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Sinks");
    }

    [Fact]
    public async Task StepWhoseOutputReachesNoSink_IsReported()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ {{Source}} ],
              "Steps": [
                { "Name": "used", "Type": "Select", "Params": { "Fields": [ "delay" ] } },
                { "Name": "dangling", "Type": "Select", "Inputs": [ "flights" ], "Params": { "Fields": [ "delay" ] } }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect", "Inputs": [ "used" ] } ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:1", error.Path);
    }

    [Fact]
    public async Task SinkPathUnderAFile_IsReportedAtItsPath()
    {
        using var temp = new TempDirectory();
        var blocker = temp.File("not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");

        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ {{Source}} ],
              "Sinks": [ { "Name": "file", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(Path.Combine(blocker, "out.jsonl"))}} } } ]
            }
            """);

        Assert.Equal("Flow:Pipelines:p:Sinks:0:Params:Path", Assert.Single(errors).Path);
    }

    [Fact]
    public async Task SeveralProblems_AreAllReportedAtOnce()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "BatchSize": 0,
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": "samples/data/missing.json" } } ],
              "Steps": [
                { "Name": "a", "Type": "NoSuchStep" },
                { "Name": "b", "Type": "Filter", "Params": { "Where": "delay >" } },
                { "Name": "c", "Type": "Sleep", "Parallelism": "many", "Params": { "PerRecord": "abc" } }
              ],
              "Sinks": [ {{Sink}} ]
            }
            """);

        Assert.Equal(
            new[]
            {
                "Flow:Pipelines:p:BatchSize",
                "Flow:Pipelines:p:Sources:0:Params:Path",
                "Flow:Pipelines:p:Steps:0:Type",
                "Flow:Pipelines:p:Steps:1:Params:Where",
                "Flow:Pipelines:p:Steps:2:Parallelism",
                "Flow:Pipelines:p:Steps:2:Params:PerRecord",
            },
            errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    private Task<IReadOnlyList<ConfigurationError>> ErrorsAsync(string stepsJson) =>
        _harness.ConfigurationErrorsAsync($$"""{ "Sources": [ {{Source}} ], "Steps": {{stepsJson}}, "Sinks": [ {{Sink}} ] }""");
}
