using System.Diagnostics;
using Flow.Caching;
using Flow.Execution;
using Flow.Redis.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// A Redis that stops answering (CLIENT PAUSE) for longer than the run: the circuit breaker cuts it
/// off at the first timeout, so the run costs one operation timeout more than with the cache off,
/// not one per batch, warns once, and writes the right output.
/// </summary>
public sealed class RedisPausedTests
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task RedisPausedLongerThanTheRun_CostsOneTimeout_WarnsOnce_AndTheOutputIsRight()
    {
        await using var server = await RedisServerFixture.StartPrivateServerAsync();
        var harness = new CacheHarness();
        var definition = FromJson($$"""
            { "Flow": { "Pipelines": { "paused": {
              "BatchSize": 500,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{System.Text.Json.JsonSerializer.Serialize(FlightsPath)}} } } ],
              "Steps": [
                { "Name": "nap", "Type": "Sleep", "Params": { "PerBatch": "20ms" } },
                { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ] } } } }
            """);

        var clock = Stopwatch.StartNew();
        var reference = await RunWithoutCacheAsync(definition);
        var cacheOff = clock.Elapsed;

        var cache = BindOptions(new Dictionary<string, string?>
        {
            ["Flow:Cache:Store"] = "Redis",
            ["Flow:Cache:Redis"] = server.Configuration,
            ["Flow:Cache:OperationTimeout"] = "1s",
            ["Flow:Cache:ConnectTimeout"] = "1s",
        }).Cache;
        await using var stores = Stores(cache, harness.Logs);
        await stores.GetAsync(CancellationToken.None); // connected before the pause: the run alone is timed

        using (var control = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true"))
        {
            await control.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "60000", "ALL").WaitAsync(TimeSpan.FromSeconds(10));
        }

        clock.Restart();
        var plan = await harness.PlanAsync(definition);
        var result = await new PipelineRunner(NullLogger.Instance, cache: new StepCache(stores, harness.Logs.CreateLogger("Flow.Caching")))
            .RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));
        var paused = clock.Elapsed;

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(40, result.Nodes.Single(n => n.Name == "nap").Misses);
        Assert.Equal(reference.Output, ((CollectingSink)plan.Validated["out"].Instance).Lines);

        // One operation timeout, plus room for a loaded machine; one timeout per batch would be 40 s.
        Assert.True(paused < cacheOff + OperationTimeout + TimeSpan.FromSeconds(4), $"paused run {paused}, cache off {cacheOff}");
        var warning = Assert.Single(harness.Logs.Events, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("Flow runs without the cache", warning.Message, StringComparison.Ordinal);
    }
}
