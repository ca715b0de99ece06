using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Flow.Worker.Tests.Status;

[Collection(EndToEndCollection.Name)]
public sealed partial class StatusEndpointTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_WithHttpUrls_ServesHealthReadinessGrowingMetricsAndTheLiveStatusOfEveryNode()
    {
        // 40 batches at 125 ms: about five seconds of work.
        await using var run = StatusRun.Start("125ms");

        await run.WaitForAsync("healthz", HttpStatusCode.OK, Patience);
        Assert.Equal("ready", (await run.WaitForAsync("readyz", HttpStatusCode.OK, Patience)).Trim());

        var first = await RecordsInAsync(run, "slow");
        var grown = first;
        var deadline = DateTime.UtcNow + Patience;
        while (grown <= first && DateTime.UtcNow < deadline && !run.Flow.HasExited)
        {
            await Task.Delay(100);
            grown = await RecordsInAsync(run, "slow");
        }

        Assert.True(grown > first, $"flow_records_in_total of 'slow' did not grow past {first} during the run; stderr:{Environment.NewLine}{run.Flow.StandardError}");
        var metrics = await run.Http.GetStringAsync("metrics");
        foreach (var name in new[] { "flow_batches_total", "flow_records_out_total", "flow_cache_misses_total", "flow_step_duration_seconds_count", "flow_batches_in_flight" })
        {
            Assert.Matches(new Regex($"^{name}\\{{[^}}]*node=\"slow\"[^}}]*\\}} \\d", RegexOptions.Multiline), metrics);
        }

        var nodes = await run.StatusNodesAsync();
        Assert.Equal(StatusRun.Nodes, nodes.Keys);
        Assert.Equal(["flights"], nodes["slow"].GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(1, nodes["slow"].GetProperty("layer").GetInt32());
        Assert.Equal(3, nodes["out"].GetProperty("layer").GetInt32());
        Assert.True(nodes["flights"].GetProperty("recordsOut").GetInt64() > 0);

        var page = await run.Http.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/api/status", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase), html); // nothing from the network

        var exitCode = await run.Flow.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, run.Flow.StandardError);
    }

    [Fact]
    public async Task Run_HttpPortInUse_IsOneErrorNamingTheKeyAndExits2BeforeAnyPipelineRuns()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/all.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120), "run", "--config", config, $"--Flow:Http:Urls=http://127.0.0.1:{port}");

        Assert.True(flow.ExitCode == 2, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        var error = Assert.Single(flow.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("flow:", StringComparison.Ordinal));
        Assert.Contains("Flow:Http:Urls", error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.Contains("in use", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("started", flow.StandardOutput + flow.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.File("out/all.jsonl")));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:9090", "is not a URL")]
    [InlineData("https://127.0.0.1:9090", "only http")]
    [InlineData("http://127.0.0.1:9090/status", "has a path")]
    [InlineData("127.0.0.1:9090", "is not a URL")]
    public async Task Validate_BadHttpUrl_IsAnErrorOfTheKey(string url, string problem)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/all.jsonl" } } ]
            }
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(120), "validate", "--config", config, $"--Flow:Http:Urls={url}");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains($"Flow:Http:Urls: '{url}'", flow.StandardError, StringComparison.Ordinal);
        Assert.Contains(problem, flow.StandardError, StringComparison.Ordinal);
    }

    private static async Task<long> RecordsInAsync(StatusRun run, string node)
    {
        var metrics = await run.Http.GetStringAsync("metrics");
        var match = RecordsIn().Matches(metrics).FirstOrDefault(m => m.Groups["labels"].Value.Contains($"node=\"{node}\"", StringComparison.Ordinal)
            && m.Groups["labels"].Value.Contains("pipeline=\"p\"", StringComparison.Ordinal));
        return match is null ? 0 : long.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("^flow_records_in_total\\{(?<labels>[^}]*)\\} (?<value>\\d+)", RegexOptions.Multiline)]
    private static partial Regex RecordsIn();
}
