using Flow.Settings;
using System.Collections;
using System.Numerics;
using System.Text.Json.Nodes;
using Flow.Batches;
using Flow.Caching;
using Flow.Execution;
using Flow.Hosting.Options;
using Flow.Pipelines;
using Flow.Steps;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// A warm run writes the same bytes as a cold one: every value a step may put into a record comes
/// out alike whether it travelled through the cache's binary format or straight to the sink.
/// Also: a behaviour version change misses, and a step's view of the batch position.
/// </summary>
public sealed class ColdWarmEqualityTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("flow-coldwarm-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task EveryValueKind_WarmRunWritesTheSameBytesAsTheColdRun_ToJsonLinesAndCsv()
    {
        var pipeline = Pipeline("""[ { "Name": "kinds", "Type": "EveryKind" } ]""", sinks: "both");

        var cold = await RunAsync(pipeline);
        var coldJson = await File.ReadAllBytesAsync(Out("out.jsonl"));
        var coldCsv = await File.ReadAllBytesAsync(Out("out.csv"));
        var warm = await RunAsync(pipeline);

        Assert.Equal(0, cold.Nodes.Single(n => n.Name == "kinds").Hits);
        Assert.Equal(warm.Nodes.Single(n => n.Name == "kinds").Batches, warm.Nodes.Single(n => n.Name == "kinds").Hits);
        Assert.Equal(coldJson, await File.ReadAllBytesAsync(Out("out.jsonl")));
        Assert.Equal(coldCsv, await File.ReadAllBytesAsync(Out("out.csv")));

        // What the value model makes of each kind, as the JSON Lines sink writes it.
        var line = System.Text.Encoding.UTF8.GetString(coldJson).Split('\n')[0];
        Assert.Contains("\"ints\":[1,2]", line, StringComparison.Ordinal);
        Assert.Contains("\"nested\":[[1,\"NaN\"],{\"k\":3}]", line, StringComparison.Ordinal);
        Assert.Contains("\"nan\":\"NaN\",\"inf\":\"Infinity\",\"ninf\":\"-Infinity\"", line, StringComparison.Ordinal);
        Assert.Contains("\"ulong\":\"18446744073709551615\"", line, StringComparison.Ordinal);
        Assert.Contains("\"float\":1.1,", line, StringComparison.Ordinal);
        Assert.Contains("\"decimal\":0.1,\"bigdecimal\":\"1.2345678901234567890123456789\"", line, StringComparison.Ordinal);
        Assert.Contains("\"date\":\"2026-12-01\"", line, StringComparison.Ordinal);
        Assert.Contains("\"map\":{\"x\":1}", line, StringComparison.Ordinal);
        Assert.Contains("\"json\":{\"a\":[1,2.5,\"s\",null,true],\"big\":\"123456789012345678901234\"}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BumpingABuiltInsBehaviourVersion_MakesItsEntriesMisses()
    {
        var pipeline = Pipeline("""[ { "Name": "late", "Type": "Filter", "Params": { "Where": "id % 2 == 0" } } ]""");
        await RunAsync(pipeline);
        var same = await RunAsync(pipeline);
        var bumped = await RunAsync(pipeline, registry => registry.Register(
            NodeKind.Step, "Filter", c => BuiltInNodes.CreateRegistry().TryResolve(NodeKind.Step, "Filter", out var r, out _) ? r!.Factory(c) : null!, "2+expressions.1", ["Where"]));

        Assert.Equal(same.Nodes.Single(n => n.Name == "late").Batches, same.Nodes.Single(n => n.Name == "late").Hits);
        Assert.Equal(0, bumped.Nodes.Single(n => n.Name == "late").Hits);
        Assert.Equal(bumped.Nodes.Single(n => n.Name == "late").Batches, bumped.Nodes.Single(n => n.Name == "late").Misses);
    }

    [Fact]
    public async Task StepThatReadsThePosition_WithTheAttribute_GetsItsPositionInItsKey_WarmEqualsCold()
    {
        // Identical batches (every record {"k": null}): without the position in the key every batch
        // would replay the rows of whichever batch was cached last.
        var pipeline = Pipeline("""
            [ { "Name": "same", "Type": "Select", "Params": { "Fields": [ "k" ] } }, { "Name": "pos", "Type": "Position" } ]
            """);

        await RunAsync(pipeline);
        var cold = await File.ReadAllTextAsync(Out("out.jsonl"));
        var warm = await RunAsync(pipeline);

        Assert.Equal(warm.Nodes.Single(n => n.Name == "pos").Batches, warm.Nodes.Single(n => n.Name == "pos").Hits);
        Assert.Equal(cold, await File.ReadAllTextAsync(Out("out.jsonl")));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), cold.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (long)JsonNode.Parse(l)!["row"]!));
    }

    [Fact]
    public async Task StepThatReadsThePosition_WithoutTheAttribute_FailsItsBatchSayingSo()
    {
        var result = await RunAsync(Pipeline("""[ { "Name": "sneaky", "Type": "SneakyPosition" } ]"""), expectCompleted: false);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("[ReadsBatchPosition]", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StepVersionAttribute_JoinsTheSignature_AndConfigurationVersionToo()
    {
        var registry = Registry();
        var plan = await new PipelinePlanner(registry, new ServiceCollection().BuildServiceProvider(), baseDirectory: _folder)
            .PlanAsync(CacheHarness.FromJson(Document(Pipeline("""[ { "Name": "v", "Type": "EveryKind", "Version": "7" } ]"""))));

        var signature = Flow.Caching.StepSignature.For(plan.Validated["v"]);

        Assert.Contains("\"behaviour\":\"3\"", signature.Json, StringComparison.Ordinal);
        Assert.Contains("\"version\":\"7\"", signature.Json, StringComparison.Ordinal);
    }

    private string Out(string name) => Path.Combine(_folder, name);

    private string Pipeline(string steps, string sinks = "json")
    {
        var jsonSink = $$"""{ "Name": "json", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(Out("out.jsonl"))}} } }""";
        var csvSink = $$"""{ "Name": "csv", "Type": "Csv", "Params": { "Path": {{TestData.Quote(Out("out.csv"))}} } }""";
        var generate = """{ "Name": "g", "Type": "Generate", "Params": { "Count": 40, "Fields": { "id": "seq" } } }""";
        return $$"""
            {
              "BatchSize": 10,
              "Sources": [ {{generate}} ],
              "Steps": {{steps}},
              "Sinks": [ {{(sinks == "both" ? jsonSink + ", " + csvSink : jsonSink)}} ]
            }
            """;
    }

    private static string Document(string pipeline) => $$"""{ "Flow": { "Pipelines": { "p": {{pipeline}} } } }""";

    private static NodeTypeRegistry Registry()
    {
        var registry = BuiltInNodes.CreateRegistry();
        registry.Register(NodeKind.Step, "EveryKind", _ => new EveryKindStep());
        registry.Register(NodeKind.Step, "Position", _ => new PositionStep());
        registry.Register(NodeKind.Step, "SneakyPosition", _ => new SneakyPositionStep());
        return registry;
    }

    private async Task<PipelineResult> RunAsync(string pipeline, Action<NodeTypeRegistry>? change = null, bool expectCompleted = true)
    {
        var registry = Registry();
        change?.Invoke(registry);
        var plan = await new PipelinePlanner(registry, new ServiceCollection().BuildServiceProvider(), baseDirectory: _folder)
            .PlanAsync(CacheHarness.FromJson(Document(pipeline)));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Flow:Cache:Store"] = "File",
            ["Flow:Cache:Path"] = Path.Combine(_folder, "cache"),
        }).Build();
        var options = new FlowOptions();
        Assert.Empty(FlowOptionsReader.Read(configuration, options));
        await using var stores = CacheHarness.Stores(options.Cache, NullLoggerFactory.Instance);
        var result = await new PipelineRunner(NullLogger.Instance, cache: new StepCache(stores, NullLogger.Instance)).RunAsync(plan, CancellationToken.None).WaitAsync(Deadline);
        if (expectCompleted)
        {
            Assert.True(result.Status == RunStatus.Completed, result.Error?.ToString());
        }

        return result;
    }

    /// <summary>Puts a value of every CLR kind a step might produce into each record.</summary>
    [StepVersion("3")]
    private sealed class EveryKindStep : RecordStep
    {
        protected override Record? Process(Record record)
        {
            var ints = new List<object?>();
            record["ints"] = ints;
            ints.Add(1);
            ints.Add((short)2); // added after the record took the list: the writers normalize them alike
            var inner = new List<object?> { 1 };
            record["nested"] = new List<object?> { inner, new Dictionary<string, object?> { ["k"] = 3 } };
            inner.Add(double.NaN);
            record["nan"] = double.NaN;
            record["inf"] = double.PositiveInfinity;
            record["ninf"] = double.NegativeInfinity;
            record["negzero"] = -0.0;
            record["ulong"] = ulong.MaxValue;
            record["uint"] = uint.MaxValue;
            record["byte"] = (byte)7;
            record["float"] = 1.1f;
            record["decimal"] = 0.1m;
            record["bigdecimal"] = 1.2345678901234567890123456789m;
            record["bigint"] = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture);
            record["char"] = 'x';
            record["guid"] = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e");
            record["when"] = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.FromHours(1));
            record["date"] = new DateOnly(2026, 12, 1);
            record["span"] = TimeSpan.FromMinutes(90);
            record["kind"] = DayOfWeek.Tuesday;
            record["bytes"] = new byte[] { 1, 2, 3 };
            record["array"] = new[] { 1, 2 };
            record["map"] = new Dictionary<string, int> { ["x"] = 1 };
            record["json"] = JsonNode.Parse("""{ "a": [1, 2.5, "s", null, true], "big": 123456789012345678901234 }""");
            record["text"] = "é \"quoted\", with, commas\nand a line";
            record["none"] = null;
            record["flag"] = true;
            return record;
        }
    }

    [ReadsBatchPosition]
    private sealed class PositionStep : IStep
    {
        public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
        {
            var rows = batch.Records.Select((r, i) =>
            {
                r["row"] = batch.Id.Offset + i;
                return r;
            }).ToList();
            return new ValueTask<IReadOnlyList<Record>>(rows);
        }
    }

    private sealed class SneakyPositionStep : IStep
    {
        public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
        {
            _ = batch.Id.Offset;
            return new ValueTask<IReadOnlyList<Record>>(batch.Records);
        }
    }
}
