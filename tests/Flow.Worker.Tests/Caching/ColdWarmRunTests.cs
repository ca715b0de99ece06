using System.Text.Json;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// A warm run (every step replayed from the cache) and a cache-off run write the very bytes of the
/// cold run, through the real process, for a pipeline like the sample: a filter, a join, computed
/// fields of every kind (lists included), and two sinks of different formats.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ColdWarmRunTests
{
    private const int Batches = TestData.FlightCount / 1000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly string[] Steps = ["late", "airports", "enrich"];

    [Fact]
    public async Task WarmAndCacheOffRuns_WriteTheColdRunsBytes()
    {
        using var workspace = new FlowWorkspace();
        var config = WriteFlightsPipeline(workspace);
        var (jsonLines, csv) = (workspace.File("out/late.jsonl"), workspace.File("out/late.csv"));

        var cold = await RunAsync(workspace, config, "cold.json");
        AssertEveryStep(cold, hits: 0, misses: Batches);
        var (coldJsonLines, coldCsv) = (await File.ReadAllBytesAsync(jsonLines), await File.ReadAllBytesAsync(csv));
        Assert.Equal(4349, FlowWorkspace.LineCount(jsonLines));

        var warm = await RunAsync(workspace, config, "warm.json");
        AssertEveryStep(warm, hits: Batches, misses: 0);
        Assert.Equal(coldJsonLines, await File.ReadAllBytesAsync(jsonLines));
        Assert.Equal(coldCsv, await File.ReadAllBytesAsync(csv));

        var off = await RunAsync(workspace, config, "off.json", "--use-cache=false");
        AssertEveryStep(off, hits: 0, misses: Batches);
        Assert.Equal(coldJsonLines, await File.ReadAllBytesAsync(jsonLines));
        Assert.Equal(coldCsv, await File.ReadAllBytesAsync(csv));
    }

    [Fact]
    public async Task NoCacheRun_WritesTheSameBytesAndTouchesNoStore()
    {
        using var workspace = new FlowWorkspace();
        var config = WriteFlightsPipeline(workspace);
        var output = workspace.File("out/late.jsonl");
        var store = workspace.File(".flow/cache");

        await using (var none = await FlowProcess.RunAsync(workspace.Path, Timeout, ["run", "--config", config, "--report", "none.json", "--Flow:Cache:Store=None"]))
        {
            Assert.True(none.ExitCode == 0, none.StandardError);
            Assert.Contains("no cache (Flow:Cache:Store=None): the steps computed all 60 of their batches", none.StandardOutput + none.StandardError);
        }

        Assert.False(Directory.Exists(store), "a run without a cache made the File store's folder");
        using (var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("none.json"))))
        {
            var flights = report.RootElement.GetProperty("pipelines").GetProperty("flights");
            Assert.False(flights.GetProperty("cached").GetBoolean());
            Assert.Equal(0, flights.GetProperty("nodes").GetProperty("late").GetProperty("hits").GetInt64());
        }

        var uncached = await File.ReadAllBytesAsync(output);
        Assert.Equal(4349, FlowWorkspace.LineCount(output));

        // The same pipeline with its cache: the same bytes, and the store only now exists.
        var cold = await RunAsync(workspace, config, "cold.json");
        AssertEveryStep(cold, hits: 0, misses: Batches);
        Assert.Equal(uncached, await File.ReadAllBytesAsync(output));
        Assert.True(Directory.Exists(store));

        await using var stats = await FlowProcess.RunAsync(workspace.Path, Timeout, ["cache", "stats", "--config", config, "--Flow:Cache:Store=none"]);
        Assert.Equal(2, stats.ExitCode);
        Assert.Contains("Flow:Cache:Store is None: this configuration runs without a cache", stats.StandardError);
    }

    [Fact]
    public async Task RequiredCacheWithoutAStore_IsAConfigurationError()
    {
        using var workspace = new FlowWorkspace();
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, ["validate", "--Flow:Cache:Store=None", "--Flow:Cache:Required=true"]);
        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("Flow:Cache:Required: is true, but Flow:Cache:Store is None", flow.StandardError);
    }

    /// <summary>The pipeline of these tests: a filter, a join, computed fields of every kind, a JSON Lines and a CSV sink.</summary>
    private static string WriteFlightsPipeline(FlowWorkspace workspace)
    {
        return workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } },
                { "Name": "airports", "Type": "Lookup",
                  "Params": { "File": {{TestData.Quote(TestData.AirportsCsv)}}, "Key": "origin", "On": "iata", "Prefix": "origin_" } },
                { "Name": "enrich", "Type": "Compute",
                  "Params": { "Set": {
                    "delay_hours": "round(delay / 60, 2)",
                    "per_mile": "delay / distance",
                    "route": "origin + '-' + destination",
                    "label": "str(distance) + ' mi'",
                    "city": "upper(origin_city ?? 'unknown')",
                    "far": "distance > 1000",
                    "lat": "origin_latitude * 1",
                    "nothing": "null",
                    "legs": "[origin, destination]",
                    "lengths": "[len(origin), len(destination)]",
                    "year": "year(date)"
                  } } }
              ],
              "Sinks": [
                { "Name": "jsonl", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } },
                { "Name": "csv", "Type": "Csv", "Params": { "Path": "out/late.csv" } }
              ]
            }
            """, name: "flights");
    }

    private static async Task<JsonElement> RunAsync(FlowWorkspace workspace, string config, string report, params string[] more)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, ["run", "--config", config, "--report", report, .. more]);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File(report)));
        return document.RootElement.GetProperty("pipelines").GetProperty("flights").GetProperty("nodes").Clone();
    }

    private static void AssertEveryStep(JsonElement nodes, int hits, int misses)
    {
        foreach (var step in Steps)
        {
            var node = nodes.GetProperty(step);
            Assert.Equal(Batches, node.GetProperty("batches").GetInt64());
            Assert.True(hits == node.GetProperty("hits").GetInt64(), $"{step}: hits {node.GetProperty("hits")}, expected {hits}");
            Assert.True(misses == node.GetProperty("misses").GetInt64(), $"{step}: misses {node.GetProperty("misses")}, expected {misses}");
        }
    }
}
