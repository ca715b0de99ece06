using Flow.Batches;
using Flow.Execution;

namespace Flow.Core.Tests.Sources;

public sealed class GenerateSourceTests
{
    private const string AllKinds = """{ "id": "seq", "n": "int", "x": "double", "s": "string", "b": "bool", "g": "guid" }""";

    [Fact]
    public async Task ReadAsync_Count_GivesThatManyRecordsWithSequentialIds()
    {
        var records = await GenerateAsync("""{ "Count": 1234, "Seed": 1 }""");

        Assert.Equal(1234, records.Count);
        Assert.Equal(Enumerable.Range(0, 1234).Select(i => (object?)(long)i), records.Select(r => r["id"]));
        Assert.All(records, r => Assert.Equal(new[] { "id", "value" }, r.Names));
    }

    [Fact]
    public async Task ReadAsync_SameSeed_GivesTheSameRecords()
    {
        var first = await GenerateAsync($$"""{ "Count": 500, "Seed": 42, "Fields": {{AllKinds}} }""");
        var second = await GenerateAsync($$"""{ "Count": 500, "Seed": 42, "Fields": {{AllKinds}} }""");

        Assert.Equal(first.Select(r => r.ToString()), second.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_DifferentSeed_GivesDifferentRecords()
    {
        var first = await GenerateAsync($$"""{ "Count": 500, "Seed": 42, "Fields": {{AllKinds}} }""");
        var second = await GenerateAsync($$"""{ "Count": 500, "Seed": 43, "Fields": {{AllKinds}} }""");

        Assert.Equal(first.Select(r => r["id"]), second.Select(r => r["id"]));
        Assert.NotEqual(first.Select(r => r["n"]), second.Select(r => r["n"]));
        Assert.NotEqual(first.Select(r => r["s"]), second.Select(r => r["s"]));
    }

    [Fact]
    public async Task ReadAsync_EveryFieldKind_GivesValuesOfThatKind()
    {
        var records = await GenerateAsync($$"""{ "Count": 2000, "Seed": 7, "Fields": {{AllKinds}} }""");

        Assert.All(records, r =>
        {
            // Configuration hands map keys over sorted, so the fields come in name order, not as written.
            Assert.Equal(new[] { "b", "g", "id", "n", "s", "x" }, r.Names);
            Assert.InRange(Assert.IsType<long>(r["n"]), 0, 999_999);
            var x = Assert.IsType<double>(r["x"]);
            Assert.InRange(x, 0, 1000);
            Assert.Equal(Math.Round(x, 3), x);
            Assert.Matches("^[a-z]{8}$", Assert.IsType<string>(r["s"]));
            Assert.IsType<bool>(r["b"]);
            Assert.True(Guid.TryParse(Assert.IsType<string>(r["g"]), out _));
        });
        Assert.Contains(records, r => r["b"] is true);
        Assert.Contains(records, r => r["b"] is false);
        Assert.Equal(records.Count, records.Select(r => r["g"]).Distinct().Count());
    }

    [Fact]
    public async Task Run_UnknownFieldKind_IsAConfigurationErrorAtTheField()
    {
        var errors = await new PipelineHarness().ConfigurationErrorsAsync("""
            {
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Fields": { "when": "date" } } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal("Flow:Pipelines:p:Sources:0:Params:Fields:when", Assert.Single(errors).Path);
    }

    private static async Task<IReadOnlyList<Record>> GenerateAsync(string parameters)
    {
        var harness = new PipelineHarness();
        var result = await harness.RunAsync($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": {{parameters}} } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        Assert.Equal(RunStatus.Completed, result.Status);
        return harness.Collected().Records;
    }
}
