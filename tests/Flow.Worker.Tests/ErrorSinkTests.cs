using System.Text.Json;

namespace Flow.Worker.Tests;

/// <summary>
/// <c>ErrorSink</c> through the real process: flights whose origin a required lookup cannot find
/// go to an error file with the error, the step and the batch; the run succeeds; the summary and
/// the report count them; and the batches that had failures are never served from the cache.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ErrorSinkTests
{
    private const int BatchSize = 1000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Airports left out of the lookup file: a handful of flights in a few batches start there.
    private static readonly HashSet<string> Unknown = ["BZN", "OTZ", "PIA"];

    [Fact]
    public async Task FlightsTheLookupCannotPlace_GoToTheErrorFile_TheRunSucceeds_AndTheirBatchesAreNeverCached()
    {
        using var workspace = new FlowWorkspace();
        var airports = workspace.WriteFile("airports.csv", string.Join('\n',
            File.ReadAllLines(TestData.AirportsCsv).Where(line => !Unknown.Contains(line.Split(',')[0]))) + "\n");
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": {{BatchSize}},
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "origin", "Type": "Lookup", "ErrorSink": "errors",
                  "Params": { "File": {{TestData.Quote(airports)}}, "Key": "origin", "On": "iata", "Prefix": "origin_", "Required": "Fail" } },
                { "Name": "route", "Type": "Compute", "Params": { "Set": { "route": "origin + '-' + destination" } } }
              ],
              "Sinks": [
                { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/flights.jsonl" } },
                { "Name": "errors", "Type": "JsonLines", "Params": { "Path": "out/errors.jsonl" } }
              ]
            }
            """, name: "flights");

        using var input = JsonDocument.Parse(await File.ReadAllBytesAsync(TestData.FlightsJson));
        var flights = input.RootElement.EnumerateArray().Select(f => f.GetProperty("origin").GetString()!).ToList();
        var failing = Enumerable.Range(0, flights.Count).Where(i => Unknown.Contains(flights[i])).ToList();
        var failingBatches = failing.Select(i => i / BatchSize).Distinct().Count();
        var batches = (flights.Count + BatchSize - 1) / BatchSize;
        Assert.InRange(failing.Count, 1, 20);

        var (cold, coldError) = await RunAsync(workspace, config, "cold.json");
        Assert.Contains($"{failing.Count} record(s) failed and went to error sinks ({failing.Count} from 'origin' to 'errors'); everything else went on", coldError, StringComparison.Ordinal);
        Assert.Contains("went to error sink errors; the first, record ", coldError, StringComparison.Ordinal);
        Assert.Matches(@"\n\s+node\s+kind\s+batches\s+hits\s+waited\s+misses\s+records in\s+records out\s+errors\s+time ms\s+saved ms\n", coldError);
        Assert.Equal(failing.Count, cold.GetProperty("origin").GetProperty("errorsRouted").GetInt64());
        Assert.Equal(batches, cold.GetProperty("origin").GetProperty("misses").GetInt64());
        Assert.Equal(failing.Count, cold.GetProperty("errors").GetProperty("recordsIn").GetInt64());

        var output = workspace.File("out/flights.jsonl");
        var errors = workspace.File("out/errors.jsonl");
        Assert.Equal(flights.Count - failing.Count, FlowWorkspace.LineCount(output));
        var errorLines = await File.ReadAllLinesAsync(errors);
        Assert.Equal(failing.Count, errorLines.Length);
        for (var k = 0; k < failing.Count; k++)
        {
            using var line = JsonDocument.Parse(errorLines[k]);
            var error = line.RootElement;
            Assert.Equal("flights", error.GetProperty("pipeline").GetString());
            Assert.Equal("origin", error.GetProperty("node").GetString());
            Assert.Equal("flights", error.GetProperty("source").GetString());
            Assert.Equal(failing[k] / BatchSize, error.GetProperty("batch").GetInt64());
            Assert.Equal(failing[k] % BatchSize, error.GetProperty("index").GetInt64());
            Assert.Contains($"'{flights[failing[k]]}'", error.GetProperty("error").GetString(), StringComparison.Ordinal);

            // The flight as it came, every field, nothing joined.
            Assert.True(
                System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(input.RootElement[failing[k]].GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(error.GetProperty("record").GetRawText())),
                error.GetProperty("record").GetRawText());
        }

        var (coldOutput, coldErrors) = (await File.ReadAllBytesAsync(output), await File.ReadAllBytesAsync(errors));
        var (warm, _) = await RunAsync(workspace, config, "warm.json");

        // Errors are never a result: the batches that had failures are computed again, and fail again.
        Assert.Equal(batches - failingBatches, warm.GetProperty("origin").GetProperty("hits").GetInt64());
        Assert.Equal(failingBatches, warm.GetProperty("origin").GetProperty("misses").GetInt64());
        Assert.Equal(failing.Count, warm.GetProperty("origin").GetProperty("errorsRouted").GetInt64());
        Assert.Equal(coldOutput, await File.ReadAllBytesAsync(output));
        Assert.Equal(coldErrors, await File.ReadAllBytesAsync(errors));
    }

    private static async Task<(JsonElement Nodes, string StandardError)> RunAsync(FlowWorkspace workspace, string config, string report)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, ["run", "--config", config, "--report", report]);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File(report)));
        return (document.RootElement.GetProperty("pipelines").GetProperty("flights").GetProperty("nodes").Clone(), flow.StandardError);
    }
}
