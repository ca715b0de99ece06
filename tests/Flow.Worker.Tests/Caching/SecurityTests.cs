using System.Text.Json;
using Flow.Redis.Tests;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// Workers sharing a password-protected Redis: the password comes from the connection string (or
/// the environment) and never shows in a log line, even at Debug, nor in the report; a worker with
/// another <c>Flow:Cache:SigningKey</c> does not trust the entries the others signed.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SecurityTests
{
    private const string Password = "pw-Zq7-never-in-logs";
    private const int Batches = TestData.FlightCount / 1000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task SharedSigningKey_ReplaysAcrossWorkers_AnotherKeyComputesAgain_AndThePasswordIsNeverLogged()
    {
        await using var server = await RedisServerFixture.StartPrivateServerAsync(password: Password);
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "late", "Type": "Filter", "UseCache": true, "Params": { "Where": "delay > 15" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """);
        string[] debug = ["--Serilog:MinimumLevel:Default=Debug", "--Flow:Cache:Store=Redis"];
        var inEnvironment = new Dictionary<string, string> { ["Flow__Cache__Redis"] = $"{server.Configuration},password={Password}" };

        // The first worker takes the connection string from the command line, the others from the environment.
        await using var first = await RunAsync(workspace, new Dictionary<string, string>(),
            ["run", "--config", config, "--report", "first.json", "--Flow:Cache:SigningKey=team-key-1", $"--Flow:Cache:Redis={server.Configuration},password={Password}", .. debug]);
        var firstBytes = await File.ReadAllBytesAsync(workspace.File("out/late.jsonl"));
        await using var second = await RunAsync(workspace, inEnvironment,
            ["run", "--config", config, "--report", "second.json", "--Flow:Cache:SigningKey=team-key-1", .. debug]);
        await using var stranger = await RunAsync(workspace, inEnvironment,
            ["run", "--config", config, "--report", "stranger.json", "--Flow:Cache:SigningKey=other-key", .. debug]);

        Assert.Equal((0, Batches), workspace.ReportedCounts("first.json", "p", "late"));
        Assert.Equal((Batches, 0), workspace.ReportedCounts("second.json", "p", "late"));
        Assert.Equal((0, Batches), workspace.ReportedCounts("stranger.json", "p", "late"));
        Assert.Contains("not signed by this worker's key", stranger.StandardOutput + stranger.StandardError, StringComparison.Ordinal);
        Assert.Equal(firstBytes, await File.ReadAllBytesAsync(workspace.File("out/late.jsonl")));
        foreach (var (name, flow) in new[] { ("first", first), ("second", second), ("stranger", stranger) })
        {
            // Debug logging is on, and the lines that name the store name it by address alone.
            Assert.Contains(": miss ", first.StandardOutput + first.StandardError, StringComparison.Ordinal);
            Assert.Contains("Redis cache store connected to " + server.Configuration, flow.StandardOutput + flow.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, flow.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, flow.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, await File.ReadAllTextAsync(workspace.File(name + ".json")), StringComparison.Ordinal);
        }
    }

    private static async Task<FlowProcess> RunAsync(FlowWorkspace workspace, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, environment, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        return flow;
    }
}
