using System.Net;
using System.Text.Json;

namespace Flow.Worker.Tests.Status;

/// <summary>
/// A real <c>flow run</c> with <c>--Flow:Http:Urls</c> on a free loopback port, over a pipeline the
/// built-in <c>Sleep</c> step slows to several seconds (flights → slow → late → out), and an
/// <see cref="HttpClient"/> for its endpoints.
/// </summary>
internal sealed class StatusRun : IAsyncDisposable
{
    public static readonly string[] Nodes = ["flights", "slow", "late", "out"];

    private readonly FlowWorkspace _workspace;

    private StatusRun(FlowWorkspace workspace, FlowProcess flow, Uri baseAddress)
    {
        _workspace = workspace;
        Flow = flow;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public FlowProcess Flow { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Starts flow; <paramref name="perBatch"/> times 40 batches is how long the run takes at least.</summary>
    public static StatusRun Start(string perBatch)
    {
        var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 500,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "{{perBatch}}" } },
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);
        var port = global::Flow.Redis.Tests.RedisServerFixture.FreeLoopbackPort();
        var url = $"http://127.0.0.1:{port}";
        var flow = FlowProcess.Start(workspace.Path, "run", "--config", config, $"--Flow:Http:Urls={url}");
        return new StatusRun(workspace, flow, new Uri(url + "/"));
    }

    /// <summary>GETs <paramref name="path"/>: its status and body, or null while nothing answers (not listening yet).</summary>
    public async Task<(HttpStatusCode Status, string Body)?> TryGetAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="expected"/>, while flow runs; returns the body.</summary>
    public async Task<string> WaitForAsync(string path, HttpStatusCode expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        (HttpStatusCode Status, string Body)? last = null;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(Flow.HasExited, $"flow exited ({(Flow.HasExited ? Flow.ExitCode : 0)}) before {path} answered {expected}; last answer: {last?.Status} {last?.Body}; stderr:{Environment.NewLine}{Flow.StandardError}");
            last = await TryGetAsync(path);
            if (last is { } answer && answer.Status == expected)
            {
                return answer.Body;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{path} did not answer {expected} within {timeout}; last answer: {last?.Status} {last?.Body}; stderr:{Environment.NewLine}{Flow.StandardError}");
    }

    /// <summary>The nodes of <c>/api/status</c>'s only pipeline: name to its JSON.</summary>
    public async Task<IReadOnlyDictionary<string, JsonElement>> StatusNodesAsync()
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync("api/status"));
        var pipeline = Assert.Single(document.RootElement.GetProperty("pipelines").EnumerateArray());
        Assert.Equal("p", pipeline.GetProperty("name").GetString());
        return pipeline.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!, n => n.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Flow.DisposeAsync();
        _workspace.Dispose();
    }
}
