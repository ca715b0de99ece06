using Flow.Batches;
using Flow.Parameters;
using Flow.Pipelines;
using Flow.Steps;

namespace Flow.Core.Tests.Pipelines;

/// <summary>A setting Flow does not understand is an error, never a silent default.</summary>
public sealed class StrictParametersTests
{
    private const string Source = """{ "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } }""";
    private const string Sink = """{ "Name": "out", "Type": "Collect" }""";

    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task MisspelledParameter_IsAnErrorNamingTheNearestValidName_BesideTheMissingOne()
    {
        var errors = await ErrorsAsync("""[ { "Name": "late", "Type": "Filter", "Params": { "Wher": "delay > 15" } } ]""");

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:0:Params:Wher"
                                     && e.Message.Contains("unknown parameter 'Wher'", StringComparison.Ordinal)
                                     && e.Message.Contains("did you mean 'Where'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:0:Params:Where" && e.Message.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownParameterBesideAValidOne_IsAnError_TheStepDoesNotRunWithADefault()
    {
        var errors = await ErrorsAsync("""[ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15", "Limit": 3 } } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:0:Params:Limit", error.Path);
        Assert.Contains("its parameters: Where", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MisspelledCsvDelimiter_SuggestsDelimiter_EvenThoughThePathIsBadToo()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Csv", "Params": { "Path": "samples/data/no-such.csv", "Delimeter": ";" } } ],
              "Sinks": [ {{Sink}} ]
            }
            """);

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Sources:0:Params:Delimeter" && e.Message.Contains("did you mean 'Delimiter'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Sources:0:Params:Path");
    }

    [Fact]
    public async Task CustomStep_KnowsTheParametersItAskedFor()
    {
        _harness.Registry.Register(NodeKind.Step, "Weigh", c => new WeighStep(c.Parameters));

        var errors = await ErrorsAsync("""[ { "Name": "w", "Type": "Weigh", "Params": { "Wieght": 2 } } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:0:Params:Wieght", error.Path);
        Assert.Contains("did you mean 'Weight'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomStep_ParameterDeclaredWithAccept_IsNotUnknown()
    {
        _harness.Registry.Register(NodeKind.Step, "Weigh", c => new WeighStep(c.Parameters));

        var plan = await _harness.PlanAsync(Pipeline("""[ { "Name": "w", "Type": "Weigh", "Params": { "Weight": 2, "Comment": "free text" } } ]"""));

        Assert.Contains(plan.Nodes, n => n.Name == "w");
    }

    [Fact]
    public async Task SelectWithAnEmptyFieldList_IsAConfigurationError_NotRecordsOfOneEmptyField()
    {
        var errors = await ErrorsAsync("""[ { "Name": "s", "Type": "Select", "Params": { "Fields": [] } } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Steps:0:Params:Fields", error.Path);
        Assert.Contains("required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelectWithAnEmptyFieldName_IsAConfigurationError()
    {
        var errors = await ErrorsAsync("""[ { "Name": "s", "Type": "Select", "Params": { "Fields": [ "delay", "" ] } } ]""");

        Assert.Equal("Flow:Pipelines:p:Steps:0:Params:Fields:1", Assert.Single(errors).Path);
    }

    [Theory]
    [InlineData("1e12", "'1e12' is out of range: it must be between 1 and 1,000,000")]
    [InlineData("0", "'0' is out of range: it must be between 1 and 1,000,000")]
    [InlineData("2.5", "'2.5' is not a whole number between 1 and 1,000,000")]
    [InlineData("lots", "'lots' is not a whole number between 1 and 1,000,000")]
    public async Task BadBatchSize_SaysWhatIsWrongWithIt(string batchSize, string message)
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""{ "BatchSize": "{{batchSize}}", "Sources": [ {{Source}} ], "Sinks": [ {{Sink}} ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:BatchSize", error.Path);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task WholeNumbersInScientificForm_AreWholeNumbers()
    {
        var plan = await _harness.PlanAsync($$"""
            { "BatchSize": "1e3", "Sources": [ { "Name": "g", "Type": "Generate", "Params": { "Count": "2e4" } } ], "Sinks": [ {{Sink}} ] }
            """);

        Assert.Equal(1000, plan.BatchSize);
    }

    [Fact]
    public async Task StepOnlySettingOnASource_IsAnError()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            { "Sources": [ { "Name": "flights", "Type": "Json", "Parallelism": 2, "Params": { "Path": "samples/data/flights-20k.json" } } ], "Sinks": [ {{Sink}} ] }
            """);

        Assert.Equal("Flow:Pipelines:p:Sources:0:Parallelism", Assert.Single(errors).Path);
    }

    [Fact]
    public async Task MisspelledNodeKey_SuggestsTheKnownOne()
    {
        var errors = await ErrorsAsync("""[ { "Name": "late", "Type": "Filter", "Parms": { "Where": "delay > 15" } } ]""");

        Assert.Contains(errors, e => e.Path == "Flow:Pipelines:p:Steps:0:Parms" && e.Message.Contains("did you mean 'Params'?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MisspelledStepType_SuggestsTheBuiltIn()
    {
        var errors = await ErrorsAsync("""[ { "Name": "a", "Type": "Lokup", "Params": { } } ]""");

        Assert.Contains("did you mean 'Lookup'?", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryBuiltIn_DeclaresEveryParameterItReads()
    {
        // Built with every parameter given, so each reads all it can; what it asked for must be declared,
        // or a valid parameter would be reported as unknown.
        using var temp = new TempDirectory();
        var plan = await _harness.PlanAsync($$"""
            {
              "Sources": [
                { "Name": "j", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } },
                { "Name": "c", "Type": "Csv", "Params": { "Path": "samples/data/airports.csv", "Delimiter": ",", "Header": true, "InferTypes": true,
                  "DuplicateHeaders": "Error", "RaggedRows": "Error", "TextColumns": [ "iata" ] } },
                { "Name": "g", "Type": "Generate", "Params": { "Count": 10, "Seed": 1, "Fields": { "a": "int" } } }
              ],
              "Steps": [
                { "Name": "se", "Type": "Select", "Inputs": [ "j" ], "Params": { "Fields": [ "delay", "origin" ] } },
                { "Name": "dr", "Type": "Drop", "Params": { "Fields": [ "delay" ] } },
                { "Name": "re", "Type": "Rename", "Params": { "Map": { "origin": "o" } } },
                { "Name": "fi", "Type": "Filter", "Params": { "Where": "true" } },
                { "Name": "co", "Type": "Compute", "Params": { "Set": { "x": "1" } } },
                { "Name": "lo", "Type": "Lookup", "Params": { "File": "samples/data/airports.csv", "Key": "o", "On": "iata", "Prefix": "p_", "Required": "Keep" } },
                { "Name": "sl", "Type": "Sleep", "Params": { "PerRecord": "0ms", "PerBatch": "1us" } }
              ],
              "Sinks": [
                { "Name": "jl", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(temp.File("a.jsonl"))}} } },
                { "Name": "cs", "Type": "Csv", "Inputs": [ "sl" ], "Params": { "Path": {{TestData.Quote(temp.File("a.csv"))}}, "Delimiter": ";" } },
                { "Name": "cc", "Type": "Collect", "Inputs": [ "c", "g" ] },
                { "Name": "co2", "Type": "Console", "Inputs": [ "sl" ] }
              ]
            }
            """);

        var registry = BuiltInNodes.CreateRegistry();
        foreach (var node in plan.Nodes.Where(n => n.Definition.Type != "Collect"))
        {
            Assert.True(registry.TryResolve(node.Kind, node.Definition.Type, out var registration, out _));
            Assert.NotNull(registration!.Parameters);
            Assert.All(plan.Validated[node.Name].Parameters.AskedNames, name => Assert.Contains(name, registration.Parameters!, StringComparer.OrdinalIgnoreCase));
        }
    }

    private Task<IReadOnlyList<ConfigurationError>> ErrorsAsync(string stepsJson) => _harness.ConfigurationErrorsAsync(Pipeline(stepsJson));

    private static string Pipeline(string stepsJson) => $$"""{ "Sources": [ {{Source}} ], "Steps": {{stepsJson}}, "Sinks": [ {{Sink}} ] }""";

    private sealed class WeighStep : RecordStep
    {
        private readonly double _weight;

        public WeighStep(NodeParameters parameters)
        {
            _weight = parameters.GetDouble("Weight", 1);
            parameters.Accept("Comment");
        }

        protected override Record? Process(Record record)
        {
            record["weight"] = _weight;
            return record;
        }
    }
}
