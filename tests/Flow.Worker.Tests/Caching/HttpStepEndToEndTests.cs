using System.Text.Json;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// The reason the cache exists, with the real process: a config-file pipeline whose Http step calls
/// a local service once per record makes every call on its first run and none on the second, and
/// the API key it sends (from an environment variable) shows in no log line, even at Verbose, nor in
/// <c>flow cache explain</c>, which still sees that a rotated key changed the step.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class HttpStepEndToEndTests
{
    private const int Records = 30;
    private const int BatchSize = 10;
    private const string Secret = "e2e-api-key-7d1f";

    [Fact]
    public async Task Run_Twice_SecondRunMakesNoCall_AndTheKeyIsNeverShown()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange =>
            exchange.Request.Headers.GetValueOrDefault("X-Api-Key") == Secret
                ? LocalHttpServer.AnswerAsync(exchange, 200, JsonSerializer.Serialize(new { score = exchange.Request.LastSegment.Length * 7, source = "svc" }))
                : LocalHttpServer.AnswerAsync(exchange, 401, """{"error":"bad key"}"""));
        using var workspace = new FlowWorkspace();
        workspace.WriteFile("in.json", JsonSerializer.Serialize(Enumerable.Range(0, Records).Select(i => new { id = i, code = new string('x', (i % 5) + 1) })));
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": {{BatchSize}},
              "Sources": [ { "Name": "in", "Type": "Json", "Params": { "Path": "in.json" } } ],
              "Steps": [ {
                "Name": "enrich", "Type": "Http",
                "Params": { "Url": "{{server.BaseUrl}}/score/{code}", "Mode": "Record", "Into": "enriched", "Headers": { "X-Api-Key": "${ENRICH_API_KEY}" } }
              } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out.jsonl" } } ]
            }
            """);
        var environment = new Dictionary<string, string> { ["ENRICH_API_KEY"] = Secret };
        string[] run = ["run", "--config", config, "--Flow:Cache:Store=File", "--Flow:Cache:Path=.flow/cache", "--report", "report.json", "--Serilog:MinimumLevel:Default=Verbose"];

        await using (var first = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120), environment, run))
        {
            Assert.True(first.ExitCode == 0, first.StandardError);
            Assert.Equal(Records, server.Calls);
            Assert.Contains($"Http GET {server.BaseUrl}/score/", first.StandardError, StringComparison.Ordinal); // it logged its calls (Debug)
            Assert.DoesNotContain("HTTP request", first.StandardError, StringComparison.Ordinal); // and the client factory's four lines a call are off
            Assert.DoesNotContain(Secret, first.StandardError + first.StandardOutput, StringComparison.Ordinal);
            Assert.Equal((0L, (long)(Records / BatchSize)), HitsAndMisses(workspace));
        }

        var output = await File.ReadAllLinesAsync(workspace.File("out.jsonl"));
        Assert.Equal(Records, output.Length);
        Assert.Equal("""{"id":3,"code":"xxxx","enriched":{"score":28,"source":"svc"}}""", output[3]);

        await using (var second = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120), environment, run))
        {
            Assert.True(second.ExitCode == 0, second.StandardError);
            Assert.Equal(Records, server.Calls); // not one more call: every batch was a cache hit
            Assert.DoesNotContain(Secret, second.StandardError + second.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(((long)(Records / BatchSize), 0L), HitsAndMisses(workspace));
        }

        Assert.Equal(output, await File.ReadAllLinesAsync(workspace.File("out.jsonl")));

        // A rotated key: explain sees the step's signature change, by the headers' hash alone.
        var rotated = new Dictionary<string, string> { ["ENRICH_API_KEY"] = "rotated-key-0042" };
        await using var explain = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), rotated,
            "cache", "explain", "--config", config, "--Flow:Cache:Store=File", "--Flow:Cache:Path=.flow/cache");
        Assert.True(explain.ExitCode == 0, explain.StandardError);
        Assert.Matches(@"enrich: signature changed: Params:Headers changed from 'sha256:[0-9a-f]{64}' to 'sha256:[0-9a-f]{64}'", explain.StandardOutput);
        Assert.DoesNotContain(Secret, explain.StandardOutput + explain.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("rotated-key-0042", explain.StandardOutput + explain.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, string.Concat(Directory.EnumerateFiles(workspace.File(".flow"), "*", SearchOption.AllDirectories).Select(File.ReadAllText)), StringComparison.Ordinal);
    }

    private static (long Hits, long Misses) HitsAndMisses(FlowWorkspace workspace)
    {
        using var report = JsonDocument.Parse(File.ReadAllBytes(workspace.File("report.json")));
        var node = report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes").GetProperty("enrich");
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("misses").GetInt64());
    }
}
