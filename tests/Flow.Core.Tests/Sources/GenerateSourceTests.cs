using Flow.Batches;
using Flow.Execution;
using Flow.Parameters;
using Flow.Sources.BuiltIn;

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
    public async Task ReadChunksAsync_GivesTheRecordsOfReadAsync_InChunks()
    {
        var source = Source(5000);
        var one = new List<Record>();
        await foreach (var record in source.ReadAsync(CancellationToken.None))
        {
            one.Add(record);
        }

        var chunks = new List<IReadOnlyList<Record>>();
        await foreach (var chunk in source.ReadChunksAsync(CancellationToken.None))
        {
            chunks.Add(chunk);
        }

        Assert.Equal(new[] { 1024, 1024, 1024, 1024, 904 }, chunks.Select(c => c.Count));
        Assert.Equal(one.Select(r => r.ToString()), chunks.SelectMany(c => c).Select(r => r.ToString()));

        // The values are System.Random's with the seed, drawn field by field, record by record, as
        // they always were: a cache filled by an earlier version still replays.
        var random = new Random(9);
        for (var i = 0; i < one.Count; i++)
        {
            foreach (var name in one[i].Names)
            {
                object expected = name switch
                {
                    "id" => (long)i,
                    "x" => Math.Round(random.NextDouble() * 1000, 3),
                    "s" => new string(Enumerable.Range(0, 8).Select(_ => (char)('a' + random.Next(26))).ToArray()),
                    _ => random.Next(2) == 1,
                };
                Assert.Equal(expected, one[i][name]);
            }
        }
    }

    [Fact]
    public async Task Run_CutsBatchesOfBatchSizeAcrossChunks_InOrder()
    {
        var harness = new PipelineHarness();
        var result = await harness.RunAsync($$"""
            {
              "BatchSize": 300,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 2500, "Seed": 3, "Fields": {{AllKinds}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        var batches = harness.Collected().Batches.OrderBy(b => b.Id.Index).ToList();
        Assert.Equal(Enumerable.Repeat(300, 8).Append(100), batches.Select(b => b.Count));
        Assert.Equal(batches.Select((b, i) => (long)i * 300), batches.Select(b => b.Id.Offset));
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (object?)(long)i), batches.SelectMany(b => b.Records).Select(r => r["id"]));
    }

    [Fact]
    public async Task Records_ShareTheirNames_UntilOneChangesThem()
    {
        var records = await GenerateAsync("""{ "Count": 3, "Seed": 1 }""");

        records[0].Rename("id", "key");
        records[1]["extra"] = 1L;
        Assert.True(records[2].Remove("value"));

        Assert.Equal(new[] { "key", "value" }, records[0].Names);
        Assert.Equal(new[] { "id", "value", "extra" }, records[1].Names);
        Assert.Equal(new[] { "id" }, records[2].Names);
        Assert.Equal(new[] { "id", "value" }, (await GenerateAsync("""{ "Count": 1, "Seed": 1 }"""))[0].Names);
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

    private static GenerateSource Source(long count) =>
        new(new NodeParameters(ParamNode.FromObject(new { Count = count, Seed = 9, Fields = new Dictionary<string, string> { ["id"] = "seq", ["x"] = "double", ["s"] = "string", ["b"] = "bool" } }), "s", "."));

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
