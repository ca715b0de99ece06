using System.Globalization;
using System.Text.Json;
using Flow.Redis.Tests;
using StackExchange.Redis;

namespace Flow.Worker.Tests.Streams;

/// <summary>
/// What the stream tests share: filling an input stream fast (pipelined XADD), reading a sink stream
/// back, the group's pending entries, and the pipeline they run (RedisStream -> steps -> RedisStream).
/// </summary>
internal sealed class StreamKit : IAsyncDisposable
{
    private StreamKit(ConnectionMultiplexer connection, string configuration, string prefix)
    {
        Connection = connection;
        Configuration = configuration;
        In = prefix + "in";
        Out = prefix + "out";
        DeadLetter = prefix + "dead";
        CachePrefix = prefix + "cache:";
    }

    public const string Group = "g";

    public ConnectionMultiplexer Connection { get; }

    public IDatabase Db => Connection.GetDatabase();

    /// <summary>The server's connection string.</summary>
    public string Configuration { get; }

    public string In { get; }

    public string Out { get; }

    public string DeadLetter { get; }

    public string CachePrefix { get; }

    public static Task<StreamKit> ConnectAsync(RedisServerFixture redis) => ConnectAsync(redis.Configuration, redis.NewKeyPrefix());

    /// <summary>A kit on any server or Cluster (<paramref name="configuration"/> names it), its keys under <paramref name="prefix"/>.</summary>
    public static async Task<StreamKit> ConnectAsync(string configuration, string prefix)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return new StreamKit(await ConnectionMultiplexer.ConnectAsync(options), configuration, prefix);
    }

    /// <summary>Adds entries <c>{"id": i, "v": i % 7}</c> for i in [from, from + count), pipelined.</summary>
    public Task FillAsync(int from, int count) =>
        AddRawAsync(Enumerable.Range(from, count).Select(i => string.Create(CultureInfo.InvariantCulture, $$"""{"id":{{i}},"v":{{i % 7}}}""")));

    /// <summary>Adds one entry per payload (in field <c>data</c>), pipelined, in order.</summary>
    public async Task AddRawAsync(IEnumerable<string> payloads)
    {
        var db = Db;
        var pending = new List<Task>(5000);
        foreach (var payload in payloads)
        {
            pending.Add(db.StreamAddAsync(In, "data", payload));
            if (pending.Count == 5000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>Every entry of <paramref name="stream"/>, in order.</summary>
    public async Task<List<StreamEntry>> RangeAsync(string stream)
    {
        var all = new List<StreamEntry>();
        RedisValue from = "-";
        while (true)
        {
            var page = await Db.StreamRangeAsync(stream, from, "+", 10_000);
            all.AddRange(page);
            if (page.Length < 10_000)
            {
                return all;
            }

            from = "(" + (string)page[^1].Id!;
        }
    }

    /// <summary>The records in the sink stream, as JSON objects.</summary>
    public async Task<List<JsonElement>> OutputAsync()
    {
        var entries = await RangeAsync(Out);
        return entries.Select(e => JsonDocument.Parse((string)e["data"]!).RootElement.Clone()).ToList();
    }

    /// <summary>Asserts that the sink stream holds each of <paramref name="expected"/> ids exactly once, each with w = 2v.</summary>
    public async Task AssertEachOnceAsync(IEnumerable<long> expected)
    {
        var output = await OutputAsync();
        var ids = output.Select(r => r.GetProperty("id").GetInt64()).ToList();
        var duplicates = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        Assert.True(duplicates.Count == 0, $"ids in the sink stream more than once: {string.Join(", ", duplicates)} ({ids.Count} entries)");
        var want = expected.ToHashSet();
        var missing = want.Except(ids).Take(10).ToList();
        Assert.True(missing.Count == 0, $"ids missing from the sink stream: {string.Join(", ", missing)} ({ids.Count} of {want.Count})");
        Assert.Equal(want.Count, ids.Count);
        foreach (var record in output)
        {
            Assert.Equal(2 * record.GetProperty("v").GetInt64(), record.GetProperty("w").GetInt64());
        }
    }

    /// <summary>How many entries the group has read and not acknowledged.</summary>
    public async Task<long> PendingAsync() => (await Db.StreamPendingAsync(In, Group)).PendingMessageCount;

    /// <summary>
    /// The configuration of the pipeline <c>p</c>: source <c>in</c> (consumer <c>w1</c>, override it
    /// per worker), the steps given, sink <c>out</c>; the cache on this Redis under its own prefix.
    /// </summary>
    public string Pipeline(FlowWorkspace workspace, int batchSize, string steps, bool stopWhenDrained = true, string sourceParams = "", string name = "config.json", string? sink = null) =>
        workspace.WriteConfig($$"""
            {
              "Flow": {
                "Cache": { "Store": "Redis", "Redis": {{Quote(Configuration)}}, "KeyPrefix": {{Quote(CachePrefix)}} },
                "Pipelines": {
                  "p": {
                    "BatchSize": {{batchSize}},
                    "Sources": [ { "Name": "in", "Type": "RedisStream", "Params": {
                      "Stream": {{Quote(In)}}, "Group": "{{Group}}", "Consumer": "w1", "Redis": {{Quote(Configuration)}},
                      "StopWhenDrained": {{(stopWhenDrained ? "true" : "false")}}, "MaxBatchDelay": "50ms", "DeadLetter": {{Quote(DeadLetter)}}{{sourceParams}} } } ],
                    "Steps": [ {{steps}} ],
                    "Sinks": [ {{sink ?? $$"""{ "Name": "out", "Type": "RedisStream", "Params": { "Stream": {{Quote(Out)}}, "Redis": {{Quote(Configuration)}} } }"""}} ]
                  }
                }
              }
            }
            """, name);

    public const string Double = """{ "Name": "double", "Type": "Compute", "Params": { "Set": { "w": "v * 2" } } }""";

    /// <summary>A step <c>pace</c> that costs <paramref name="perBatch"/> per batch and is never cached.</summary>
    public static string Pace(string perBatch) => $$"""{ "Name": "pace", "Type": "Sleep", "UseCache": false, "Params": { "PerBatch": "{{perBatch}}" } }""";

    /// <summary>Arguments of <c>flow run</c> for worker <paramref name="consumer"/>, with its report in <c>report-CONSUMER.json</c>.</summary>
    public static string[] Run(string config, string consumer, params string[] more) =>
        ["run", "--config", config, "--report", $"report-{consumer}.json", $"--Flow:Pipelines:p:Sources:0:Params:Consumer={consumer}", .. more];

    /// <summary>One node's counts from a worker's report.</summary>
    public static JsonElement Node(FlowWorkspace workspace, string consumer, string node)
    {
        using var report = JsonDocument.Parse(File.ReadAllBytes(workspace.File($"report-{consumer}.json")));
        return report.RootElement.GetProperty("pipelines").GetProperty("p").GetProperty("nodes").GetProperty(node).Clone();
    }

    public static string Quote(string value) => JsonSerializer.Serialize(value);

    public async ValueTask DisposeAsync()
    {
        try
        {
            // One key a call: on a Cluster the three streams live in different slots.
            var db = Db;
            await Task.WhenAll(new RedisKey[] { In, Out, DeadLetter }.Select(key => db.KeyDeleteAsync(key)));
        }
        catch (RedisException)
        {
            // A server already gone has nothing to clean.
        }

        await Connection.CloseAsync();
        Connection.Dispose();
    }
}
