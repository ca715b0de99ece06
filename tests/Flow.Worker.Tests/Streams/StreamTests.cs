using Flow.Redis.Tests;
using StackExchange.Redis;

namespace Flow.Worker.Tests.Streams;

/// <summary>
/// RedisStream source and sink with real <c>flow</c> processes and a real redis-server: a consumer
/// group split between workers, a worker killed and started again, entries that fail or cannot be
/// read, a Redis outage, and SIGTERM on an unbounded pipeline.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StreamTests
{
    private const int KilledCount = 20_000;

    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(60);

    private readonly RedisServerFixture _redis;

    public StreamTests(RedisServerFixture redis) => _redis = redis;

    [Fact]
    public async Task TwoWorkers_OneGroup_DrainStream_EveryEntryOnceInSink_SplitBetweenThem()
    {
        const int count = 100_000;
        await using var kit = await StreamKit.ConnectAsync(_redis);
        await kit.FillAsync(0, count);
        using var workspace = new FlowWorkspace();

        // A fixed cost per batch, so that neither worker drains the stream before the other started.
        var config = kit.Pipeline(workspace, 1000, StreamKit.Double + ", " + StreamKit.Pace("40ms"));

        await using var one = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        await using var two = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w2"));
        Assert.True(await one.WaitForExitAsync(RunBound) == 0, one.StandardError + one.StandardOutput);
        Assert.True(await two.WaitForExitAsync(RunBound) == 0, two.StandardError + two.StandardOutput);

        await kit.AssertEachOnceAsync(Enumerable.Range(0, count).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());
        var read1 = StreamKit.Node(workspace, "w1", "in").GetProperty("recordsOut").GetInt64();
        var read2 = StreamKit.Node(workspace, "w2", "in").GetProperty("recordsOut").GetInt64();
        Assert.True(read1 > 0 && read2 > 0, $"both workers take part: {read1} and {read2}");
        Assert.Equal(count, read1 + read2);
    }

    [Fact]
    public async Task WorkerKilled_AndStartedAgain_EveryEntryOnce_ReplayedBatchesHitTheCache()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        var (config, other) = await KillOneOfTwoAsync(kit, workspace, claimIdle: "30s");
        await using var survivor = other;

        await using var again = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        Assert.True(await again.WaitForExitAsync(RunBound) == 0, again.StandardError + again.StandardOutput);
        Assert.True(await other.WaitForExitAsync(RunBound) == 0, other.StandardError + other.StandardOutput);

        await kit.AssertEachOnceAsync(Enumerable.Range(0, KilledCount).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());
        var computed = StreamKit.Node(workspace, "w1", "double");
        Assert.True(computed.GetProperty("hits").GetInt64() > 0, $"the restarted worker replays the batches it had computed from the cache: {computed}\n{again.StandardOutput}");
    }

    [Fact]
    public async Task WorkerKilled_NotStartedAgain_TheOtherClaimsItsEntries_EveryEntryOnce_ClaimedBatchesHitTheCache()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        var (_, other) = await KillOneOfTwoAsync(kit, workspace, claimIdle: "2s");
        await using var survivor = other;

        // The survivor does not stop while the dead consumer's entries are pending: it claims them
        // once idle for ClaimIdle, forms the same batches again, and replays what w1 had computed.
        Assert.True(await other.WaitForExitAsync(RunBound) == 0, other.StandardError + other.StandardOutput);
        await kit.AssertEachOnceAsync(Enumerable.Range(0, KilledCount).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());
        Assert.Contains("entries idle longer than", other.StandardOutput + other.StandardError, StringComparison.Ordinal); // its claim line
        var computed = StreamKit.Node(workspace, "w2", "double");
        Assert.True(computed.GetProperty("hits").GetInt64() > 0, $"the claimed batches w1 had computed replay from the shared cache: {computed}\n{other.StandardOutput}");
    }

    /// <summary>
    /// Two workers (w1, w2) on a stream of <see cref="KilledCount"/> entries; w1 is SIGKILLed a
    /// quarter of the way, leaving entries pending. Returns the configuration and the running w2.
    /// </summary>
    private static async Task<(string Config, FlowProcess Other)> KillOneOfTwoAsync(StreamKit kit, FlowWorkspace workspace, string claimIdle)
    {
        await kit.FillAsync(0, KilledCount);

        // The pace step after the computation keeps computed batches in flight, so a kill finds some.
        var config = kit.Pipeline(workspace, 500, StreamKit.Double + ", " + StreamKit.Pace("60ms"), sourceParams: $$""", "ClaimIdle": "{{claimIdle}}" """);

        // The victim runs alone a little first, so that it is in full swing (batches computed and
        // in flight behind the pace step) when it is killed, whichever worker started faster.
        await using var victim = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        await victim.WaitUntilAsync(() => kit.Db.StreamLength(kit.Out) >= KilledCount / 10, RunBound);
        var other = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w2"));
        try
        {
            await victim.WaitUntilAsync(() => kit.Db.StreamLength(kit.Out) >= KilledCount / 4, RunBound);
            victim.Signal(FlowProcess.SigKill);
            await victim.WaitForExitAsync(RunBound);

            var left = (await kit.Db.StreamPendingMessagesAsync(kit.In, StreamKit.Group, 100_000, "w1")).Length;
            Assert.True(left > 0, "the killed worker left entries pending");
            return (config, other);
        }
        catch
        {
            await other.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task UnknownParameter_OfStreamSourceOrSink_IsAConfigurationError()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 10, StreamKit.Double, sourceParams: """, "MaxDelivery": 3 """);
        await using var source = await FlowProcess.RunAsync(workspace.Path, RunBound, "validate", "--config", config);
        Assert.Equal(2, source.ExitCode);
        Assert.Contains("MaxDelivery", source.StandardError + source.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("MaxDeliveries", source.StandardError + source.StandardOutput, StringComparison.Ordinal);

        var sinkConfig = kit.Pipeline(workspace, 10, StreamKit.Double, name: "sink.json",
            sink: $$"""{ "Name": "out", "Type": "RedisStream", "Params": { "Stream": {{StreamKit.Quote(kit.Out)}}, "MaxLen": 5 } }""");
        await using var sink = await FlowProcess.RunAsync(workspace.Path, RunBound, "validate", "--config", sinkConfig);
        Assert.Equal(2, sink.ExitCode);
        Assert.Contains("MaxLen", sink.StandardError + sink.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("MaxLength", sink.StandardError + sink.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntryThatAlwaysFails_AndUnreadableEntries_GoToDeadLetter_TheOthersReachTheSink()
    {
        const int count = 400;
        const int poison = 123;
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        workspace.WriteFile("keys.csv", "k,known\nok,true\n");
        var payloads = Enumerable.Range(0, count).Select(i => $$"""{"id":{{i}},"v":{{i % 7}},"k":"{{(i == poison ? "nope" : "ok")}}"}""").ToList();
        payloads.Insert(200, """{"id": 9999, "v": """); // not JSON
        await kit.AddRawAsync(payloads);
        await kit.Db.StreamAddAsync(kit.In, "other", "no data field");

        var config = kit.Pipeline(workspace, 50,
            StreamKit.Double + """, { "Name": "known", "Type": "Lookup", "Params": { "File": "keys.csv", "Key": "k", "On": "k", "Required": "Fail" } }""",
            sourceParams: """, "MaxDeliveries": 2, "RetryDelay": "50ms" """);

        await using var run = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        Assert.True(await run.WaitForExitAsync(RunBound) == 0, run.StandardError + run.StandardOutput);

        await kit.AssertEachOnceAsync(Enumerable.Range(0, count).Where(i => i != poison).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());

        var dead = await kit.RangeAsync(kit.DeadLetter);
        Assert.Equal(3, dead.Count);
        var failed = Assert.Single(dead, e => ((string?)e["data"])?.Contains("\"id\":123", StringComparison.Ordinal) == true);
        Assert.True((long)failed["flow.deliveries"] >= 2, "set aside only after MaxDeliveries deliveries");
        Assert.Contains("known", (string)failed["flow.error"]!, StringComparison.Ordinal);
        var unreadable = Assert.Single(dead, e => ((string?)e["data"])?.Contains("9999", StringComparison.Ordinal) == true);
        Assert.Contains("JSON", (string)unreadable["flow.error"]!, StringComparison.Ordinal);
        Assert.Contains($"stream {kit.In} entry {(string?)unreadable["flow.entry"]} field data:1:", (string)unreadable["flow.error"]!, StringComparison.Ordinal); // where, to the byte
        var noField = Assert.Single(dead, e => !e["other"].IsNull);
        Assert.Contains("no field 'data'", (string)noField["flow.error"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisStoppedMidRun_AndStartedAgain_RunCompletes_OutageLoggedOnce()
    {
        const int count = 10_000;
        await using var server = await RedisServerFixture.StartPersistentServerAsync();
        await using var kit = await StreamKit.ConnectAsync(server);
        await kit.FillAsync(0, count);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 250, StreamKit.Double + ", " + StreamKit.Pace("50ms"));

        // The cache in a file store: this test is about the stream nodes' outage.
        await using var run = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1", "--Flow:Cache:Store=File"));
        await run.WaitUntilAsync(() => SafeLength(kit, kit.Out) >= count / 5, RunBound);
        await server.StopKeepingDataAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // several polls and retries while it is down
        Assert.False(run.HasExited, "a Redis outage is waited out: " + run.StandardOutput);
        await server.StartAgainAsync();

        Assert.True(await run.WaitForExitAsync(RunBound) == 0, run.StandardError + run.StandardOutput);
        await kit.AssertEachOnceAsync(Enumerable.Range(0, count).Select(i => (long)i));
        Assert.Equal(0, await kit.PendingAsync());

        var log = run.StandardOutput + run.StandardError;
        var sourceOutage = Lines(log, "source 'in' of pipeline 'p': Redis at", "waiting and retrying");
        var sinkOutage = Lines(log, "sink 'out' of pipeline 'p': Redis at", "waiting and retrying");
        Assert.True(sourceOutage == 1, $"the source logs the outage once, not per poll ({sourceOutage} lines):\n{log}");
        Assert.InRange(sinkOutage, 0, 1);
        Assert.Equal(sourceOutage, Lines(log, "source 'in' of pipeline 'p': Redis at", "answers again"));
    }

    [Fact]
    public async Task Sigterm_OnUnboundedPipeline_ExitsZero_AfterAcknowledgingWhatItFinished()
    {
        const int count = 5_000;
        await using var kit = await StreamKit.ConnectAsync(_redis);
        await kit.FillAsync(0, count);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 100,
            StreamKit.Double + ", " + StreamKit.Pace("50ms"),
            stopWhenDrained: false);

        await using var run = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        await run.WaitUntilAsync(() => kit.Db.StreamLength(kit.Out) >= 500, RunBound);
        run.Signal(FlowProcess.SigTerm);
        Assert.True(await run.WaitForExitAsync(RunBound) == 0, run.StandardError + run.StandardOutput);

        // Whatever it read it finished and acknowledged: nothing pending, and the sink holds exactly
        // the entries up to the group's last delivered one.
        Assert.Equal(0, await kit.PendingAsync());
        var groups = await kit.Db.StreamGroupInfoAsync(kit.In);
        var lastDelivered = (string)Assert.Single(groups).LastDeliveredId!;
        var read = (await kit.RangeAsync(kit.In)).TakeWhile(e => Compare((string)e.Id!, lastDelivered) <= 0).Count();
        Assert.InRange(read, 500, count - 1); // stopped mid-way
        await kit.AssertEachOnceAsync(Enumerable.Range(0, read).Select(i => (long)i));
    }

    [Fact]
    public async Task DrainedStream_IntoAFileSink_Ends_AndAcknowledgesAfterThePublish()
    {
        const int count = 3_000;
        await using var kit = await StreamKit.ConnectAsync(_redis);
        await kit.FillAsync(0, count);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 200, StreamKit.Double, sink: """{ "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/records.jsonl" } }""");

        await using var run = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        Assert.True(await run.WaitForExitAsync(RunBound) == 0, run.StandardError + run.StandardOutput);
        var ids = File.ReadAllLines(workspace.File("out/records.jsonl"))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), ids.Order());
        Assert.Equal(0, await kit.PendingAsync());
    }

    [Fact]
    public async Task GroupDestroyedMidRun_IsMadeAgain_LoggedOnce_NewEntriesStillArrive()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        var config = kit.Pipeline(workspace, 100, StreamKit.Double, stopWhenDrained: false, sourceParams: """, "Start": "$" """);
        await using var run = FlowProcess.Start(workspace.Path, StreamKit.Run(config, "w1"));
        await run.WaitUntilAsync(() => GroupExists(kit), RunBound);
        await kit.FillAsync(0, 1000);
        await run.WaitUntilAsync(() => kit.Db.StreamLength(kit.Out) == 1000, RunBound);

        await kit.Db.StreamDeleteConsumerGroupAsync(kit.In, StreamKit.Group);
        await run.WaitUntilAsync(() => GroupExists(kit), RunBound);
        await Task.Delay(500); // more polls: none may log the loss again
        await kit.FillAsync(1000, 500);
        await run.WaitUntilAsync(() => kit.Db.StreamLength(kit.Out) >= 1500, RunBound);
        run.Signal(FlowProcess.SigTerm);
        Assert.True(await run.WaitForExitAsync(RunBound) == 0, run.StandardError + run.StandardOutput);

        await kit.AssertEachOnceAsync(Enumerable.Range(0, 1500).Select(i => (long)i));
        var log = run.StandardOutput + run.StandardError;
        Assert.True(Lines(log, "consumer group g of stream", "is gone") == 1, log);
        Assert.DoesNotContain("waiting and retrying", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sink_ReplayedBatches_AddedOnce_ChangedBatchesAddedAgain()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        string Lines(int changed) => string.Concat(Enumerable.Range(0, 1000).Select(i => $$"""{"id":{{i}},"v":{{(i == changed ? 100 : i % 7)}}}""" + "\n"));
        workspace.WriteFile("in.jsonl", Lines(-1));
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "in", "Type": "JsonLines", "Params": { "Path": "in.jsonl" } } ],
              "Steps": [ {{StreamKit.Double}} ],
              "Sinks": [ { "Name": "out", "Type": "RedisStream", "Params": { "Stream": {{StreamKit.Quote(kit.Out)}}, "Redis": {{StreamKit.Quote(kit.Configuration)}}, "DedupWindow": "1h" } } ]
            }
            """);
        for (var run = 0; run < 2; run++)
        {
            await using var flow = await FlowProcess.RunAsync(workspace.Path, RunBound, "run", "--config", config);
            Assert.True(flow.ExitCode == 0, flow.StandardError + flow.StandardOutput);
        }

        await kit.AssertEachOnceAsync(Enumerable.Range(0, 1000).Select(i => (long)i));

        // Other input at the same positions is not a replay: the one batch that changed is added.
        workspace.WriteFile("in.jsonl", Lines(150));
        await using (var flow = await FlowProcess.RunAsync(workspace.Path, RunBound, "run", "--config", config))
        {
            Assert.True(flow.ExitCode == 0, flow.StandardError + flow.StandardOutput);
        }

        var ids = (await kit.OutputAsync()).Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(1100, ids.Count);
        Assert.Equal(Enumerable.Range(100, 100).Select(i => (long)i), ids.GroupBy(i => i).Where(g => g.Count() == 2).Select(g => g.Key).Order());
    }

    [Fact]
    public async Task Sink_MaxLength_TrimsTheStreamApproximately()
    {
        await using var kit = await StreamKit.ConnectAsync(_redis);
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 500,
              "Sources": [ { "Name": "in", "Type": "Generate", "Params": { "Count": 5000 } } ],
              "Steps": [],
              "Sinks": [ { "Name": "out", "Type": "RedisStream", "Params": { "Stream": {{StreamKit.Quote(kit.Out)}}, "Redis": {{StreamKit.Quote(kit.Configuration)}}, "MaxLength": 1000 } } ]
            }
            """);
        await using var flow = await FlowProcess.RunAsync(workspace.Path, RunBound, "run", "--config", config);
        Assert.True(flow.ExitCode == 0, flow.StandardError + flow.StandardOutput);

        // MAXLEN ~ trims whole nodes of the stream: at least MaxLength entries stay, a little more at most.
        var length = await kit.Db.StreamLengthAsync(kit.Out);
        Assert.InRange(length, 1000, 2000);
        var last = (await kit.OutputAsync())[^1];
        Assert.Equal(4999, last.GetProperty("id").GetInt64()); // the newest entries are the ones kept
    }

    private static bool GroupExists(StreamKit kit)
    {
        try
        {
            return kit.Db.StreamGroupInfo(kit.In).Any(g => g.Name == StreamKit.Group);
        }
        catch (RedisServerException)
        {
            return false; // no stream yet
        }
    }

    private static long SafeLength(StreamKit kit, string stream)
    {
        try
        {
            return kit.Db.StreamLength(stream);
        }
        catch (RedisException)
        {
            return 0;
        }
    }

    private static int Lines(string log, string who, string what) =>
        log.Split('\n').Count(line => line.Contains(who, StringComparison.Ordinal) && line.Contains(what, StringComparison.Ordinal));

    private static int Compare(string a, string b)
    {
        static (ulong, ulong) Split(string id)
        {
            var dash = id.IndexOf('-');
            return (ulong.Parse(id[..dash], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(id[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        return Split(a).CompareTo(Split(b));
    }
}
