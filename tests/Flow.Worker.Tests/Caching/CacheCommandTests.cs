using System.Text.Json;
using Flow.Redis.Tests;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// <c>flow cache stats|explain|gc|clear</c> against the File store of a real run; and the real
/// process with a cache store that fails: one clear line that says what is wrong, the right exit
/// code, no stack trace and no password, and (for a run) the summary and the report still written.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CacheCommandTests
{
    [Fact]
    public async Task CacheCommands_AfterARun_ReportExplainBoundAndClearTheStore()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } },
                { "Name": "hours", "Type": "Compute", "Params": { "Set": { "delay_hours": "delay / 60" } } }
              ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/late.jsonl" } } ]
            }
            """, name: "flights");
        await using (var run = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), "run", "--config", config))
        {
            Assert.True(run.ExitCode == 0, run.StandardError);
        }

        var stats = await CacheAsync(workspace, config, "stats");
        Assert.Contains("entries: 40,", stats); // 20 batches x 2 steps
        Assert.Contains("2 step signature(s)", stats);
        Assert.Contains("pipeline flights: last run", stats);

        var explain = await CacheAsync(workspace, config, "explain", "--Flow:Pipelines:flights:Steps:0:Params:Where=delay > 30");
        Assert.Contains("late: signature changed: Params:Where changed from 'delay > 15' to 'delay > 30'", explain);
        Assert.Contains("hours: unchanged, but upstream late changed", explain);

        var gc = await CacheAsync(workspace, config, "gc", "--Flow:Cache:MaxSize=20KB");
        Assert.Matches(@"removed 0 expired and \d+ least recently used entries", gc);
        Assert.DoesNotContain("removed 0 expired and 0 least", gc);

        var cleared = await CacheAsync(workspace, config, "clear", "--pipeline", "flights");
        Assert.Matches(@"cleared \d+ entries of pipeline flights", cleared);
        Assert.Contains("entries: 0,", await CacheAsync(workspace, config, "stats"));
    }

    private static async Task<string> CacheAsync(FlowWorkspace workspace, string config, string command, params string[] more)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, TimeSpan.FromSeconds(60), ["cache", command, "--config", config, .. more]);
        Assert.True(flow.ExitCode == 0, $"flow cache {command} exited {flow.ExitCode}: {flow.StandardError}");
        return flow.StandardOutput;
    }

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("stats")]
    [InlineData("clear")]
    [InlineData("gc")]
    [InlineData("explain")]
    public async Task CacheCommand_RedisDown_PrintsOneLineSayingItCannotBeReached_AndExits1(string command)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(SmallPipeline);
        var port = RedisServerFixture.FreeLoopbackPort();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Deadline,
            "cache", command, "--config", config, "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis=127.0.0.1:{port},password=s3cret-4711");

        Assert.True(flow.ExitCode == 1, $"exit {flow.ExitCode}: {flow.StandardError}");
        var line = Assert.Single(Lines(flow.StandardError, "flow:"));
        Assert.StartsWith($"flow: cache store Redis 127.0.0.1:{port} cannot be reached: ", line, StringComparison.Ordinal);
        Assert.EndsWith("; is redis-server running?", line, StringComparison.Ordinal);
        AssertNoStackTraceNorSecret(flow.StandardError);
        Assert.Equal("", flow.StandardOutput);
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("clear")]
    [InlineData("gc")]
    public async Task CacheCommand_FileStoreFolderIsAFile_PrintsOneLineNamingIt_AndExits1(string command)
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(SmallPipeline);
        await File.WriteAllTextAsync(workspace.File("cache"), "a file where the cache folder should be");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Deadline, "cache", command, "--config", config, "--Flow:Cache:Path=cache");

        Assert.True(flow.ExitCode == 1, $"exit {flow.ExitCode}: {flow.StandardError}");
        Assert.Equal([$"flow: cache store File cache cannot be used: '{workspace.File("cache")}' is a file, not a folder"], Lines(flow.StandardError, "flow:"));
        AssertNoStackTraceNorSecret(flow.StandardError);
    }

    [Fact]
    public async Task CacheClear_FileStoreThatCannotBeWritten_PrintsOneLineNamingTheFolder_AndExits1()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(SmallPipeline);
        await using (var run = await FlowProcess.RunAsync(workspace.Path, Deadline, "run", "--config", config))
        {
            Assert.True(run.ExitCode == 0, run.StandardError);
        }

        var folders = Directory.GetDirectories(workspace.File(".flow/cache/entries"), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Length == 2).ToList();
        var locks = folders.Select(ReadOnlyFolder.Make).ToList();
        FlowProcess clear;
        try
        {
            clear = await FlowProcess.RunAsync(workspace.Path, Deadline, "cache", "clear", "--config", config);
        }
        finally
        {
            locks.ForEach(l => l.Dispose());
        }

        await using (clear)
        {
            Assert.True(clear.ExitCode == 1, $"exit {clear.ExitCode}: {clear.StandardError}");
            var line = Assert.Single(Lines(clear.StandardError, "flow:"));
            Assert.StartsWith("flow: cache store File .flow/cache cannot be written: permission denied on '", line, StringComparison.Ordinal);
            Assert.Contains(workspace.File(".flow/cache/entries"), line, StringComparison.Ordinal);
            AssertNoStackTraceNorSecret(clear.StandardError);
        }
    }

    [Fact]
    public async Task CacheStatsAndRun_WrongRedisPassword_SayTheCredentialsWereRejected_NeverThePassword()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(SmallPipeline);
        var server = await RedisServerFixture.StartPrivateServerAsync(password: "right-pass-0815");
        try
        {
            var redis = $"--Flow:Cache:Redis={server.Configuration},password=wrong-pass-4711";
            var expected = $"Redis at {server.Configuration} rejected the credentials (AUTH failed)";

            await using var stats = await FlowProcess.RunAsync(workspace.Path, Deadline, "cache", "stats", "--config", config, "--Flow:Cache:Store=Redis", redis);
            await using var run = await FlowProcess.RunAsync(workspace.Path, Deadline, "run", "--config", config, "--Flow:Cache:Store=Redis", redis, "--Flow:Cache:Required=true");

            Assert.True(stats.ExitCode == 1, $"exit {stats.ExitCode}: {stats.StandardError}");
            Assert.Equal([$"flow: cache store {expected}: check the password in Flow:Cache:Redis"], Lines(stats.StandardError, "flow:"));
            Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.StandardError}");
            var error = Assert.Single(Lines(run.StandardError, "["), l => l.Contains(" ERR] ", StringComparison.Ordinal));
            Assert.EndsWith($"the cache store {expected} and Flow:Cache:Required is true: check the password in Flow:Cache:Redis", error, StringComparison.Ordinal);
            foreach (var flow in new[] { stats, run })
            {
                AssertNoStackTraceNorSecret(flow.StandardError + flow.StandardOutput);
                Assert.DoesNotContain("cannot be reached", flow.StandardError, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Run_CacheRequiredAndRedisDownAtStart_LogsOneErrorLine_AndExits1()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(SmallPipeline);
        var port = RedisServerFixture.FreeLoopbackPort();

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Deadline,
            "run", "--config", config, "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis=127.0.0.1:{port}", "--Flow:Cache:Required=true");

        Assert.True(flow.ExitCode == 1, $"exit {flow.ExitCode}: {flow.StandardError}");
        var errors = Lines(flow.StandardError, "[").Where(l => l.Contains(" ERR] ", StringComparison.Ordinal) || l.Contains(" FTL] ", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains($" ERR] Pipeline p failed: the cache store Redis 127.0.0.1:{port} cannot be reached and Flow:Cache:Required is true: ", error, StringComparison.Ordinal);
        Assert.EndsWith("; is redis-server running?", error, StringComparison.Ordinal);
        AssertNoStackTraceNorSecret(flow.StandardError);
        Assert.False(File.Exists(workspace.File("out/flights.jsonl")));
    }

    [Fact]
    public async Task Run_CacheRequiredAndRedisStopsMidRun_FailsWithOneErrorLine_WritesTheSummaryAndAFailedReport_AndExits1()
    {
        using var workspace = new FlowWorkspace();
        // 200 batches at 50 ms: about ten seconds of work, enough to stop Redis in the middle.
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
              "Steps": [ { "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "50ms" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/flights.jsonl" } } ]
            }
            """);
        var server = await RedisServerFixture.StartPrivateServerAsync();
        FlowProcess flow;
        try
        {
            flow = FlowProcess.Start(workspace.Path, "run", "--config", config, "--report", "report.json",
                "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis={server.Configuration}", "--Flow:Cache:Required=true");
            await flow.WaitUntilAsync(() => FlowWorkspace.LineCount(workspace.File("out/flights.jsonl.partial")) > 0, TimeSpan.FromSeconds(60));
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using (flow)
        {
            var exitCode = await flow.WaitForExitAsync(Deadline);

            Assert.True(exitCode == 1, $"exit {exitCode}: {flow.StandardError}");
            var lines = Lines(flow.StandardError, "");
            var error = Assert.Single(lines, l => l.Contains(" ERR] ", StringComparison.Ordinal) || l.Contains(" FTL] ", StringComparison.Ordinal));
            Assert.Contains($" ERR] Pipeline p failed: the cache store Redis {server.Configuration} ", error, StringComparison.Ordinal);
            Assert.Contains(" and Flow:Cache:Required is true", error, StringComparison.Ordinal);
            Assert.DoesNotContain("the output is complete", flow.StandardError, StringComparison.Ordinal);
            Assert.Contains(lines, l => l.Contains("Pipeline p failed in ", StringComparison.Ordinal));
            AssertNoStackTraceNorSecret(flow.StandardError);

            using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
            var pipeline = report.RootElement.GetProperty("pipelines").GetProperty("p");
            Assert.Equal("failed", pipeline.GetProperty("status").GetString());
            Assert.Contains("Flow:Cache:Required is true", pipeline.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.False(File.Exists(workspace.File("out/flights.jsonl")), "a failed run must not publish its output");
        }
    }

    private static string SmallPipeline => $$"""
        {
          "BatchSize": 5000,
          "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{TestData.Quote(TestData.FlightsJson)}} } } ],
          "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ],
          "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/flights.jsonl" } } ]
        }
        """;

    private static List<string> Lines(string text, string prefix) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && l.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    private static void AssertNoStackTraceNorSecret(string text)
    {
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pass-4711", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pass-0815", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
    }
}
