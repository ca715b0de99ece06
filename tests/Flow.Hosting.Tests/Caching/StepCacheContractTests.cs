using System.Diagnostics;
using System.Text.Json.Nodes;
using Flow.Caching;
using Flow.Execution;
using Flow.Hosting.Building;
using Flow.Pipelines;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// The acceptance tests of the step cache (DESIGN.md, "The cache" and "Guarantees"), written once
/// and run against every store: each derived class says where its store lives and how to reach
/// its entries from outside (to corrupt or list them).
/// </summary>
/// <remarks>
/// The pipeline is flights-20k.json in batches of 1000 (20 batches) through <c>tag</c> (Counting),
/// <c>late</c> (Filter) and <c>score</c> (Counting) into an in-memory sink.
/// </remarks>
public abstract class StepCacheContractTests : IAsyncLifetime
{
    private const string Name = "flights";
    private static readonly TimeSpan PollDeadline = TimeSpan.FromSeconds(20);

    private readonly CacheEntryCodec _codec = new();

    internal CacheHarness Harness { get; } = new();

    /// <summary>The <c>Flow:Cache:*</c> settings that select this test's own store.</summary>
    protected abstract IReadOnlyDictionary<string, string?> StoreSettings();

    /// <summary>Settings of a store of this kind that cannot be used (an outage).</summary>
    protected abstract IReadOnlyDictionary<string, string?> UnavailableStoreSettings();

    /// <summary>The keys of the stored entries of one step signature, read behind the store's back.</summary>
    protected abstract Task<IReadOnlyList<CacheKey>> EntryKeysAsync(string signature);

    /// <summary>The raw stored bytes of an entry (whatever framing the store adds included).</summary>
    protected abstract Task<byte[]> ReadRawEntryAsync(CacheKey key);

    /// <summary>Overwrites bytes of an entry in place, behind the store's back.</summary>
    protected abstract Task OverwriteRawEntryAsync(CacheKey key, int offset, byte[] bytes);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task SecondIdenticalRun_IsAllHits_ComputesNothing_AndGivesTheSameOutput()
    {
        var definition = Flights();
        var first = await RunAsync(definition);
        Harness.Probes.ResetAll();

        var second = await RunAsync(definition);

        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, first.Output);
        Assert.Equal(first.Output, second.Output);
        foreach (var step in second.Steps)
        {
            AssertAllHits(second, step.Name);
        }

        Assert.Equal(0, Harness.Probes["tag"].Calls);
        Assert.Equal(0, Harness.Probes["score"].Calls);
    }

    [Fact]
    public async Task ChangingOneStepsParameter_RerunsItAndWhatItFeeds_UpstreamIsAllHits()
    {
        await RunAsync(Flights());
        Harness.Probes.ResetAll();
        var changed = Flights(where: "delay > 30");

        var run = await RunAsync(changed);

        AssertAllHits(run, "tag");
        Assert.Equal(0, Harness.Probes["tag"].Calls);
        AssertAllComputed(run, "late");
        AssertAllComputed(run, "score");
        Assert.Equal(BatchCount, Harness.Probes["score"].Calls);
        Assert.Equal((await RunWithoutCacheAsync(changed)).Output, run.Output);
    }

    [Fact]
    public async Task AddingADownstreamStep_RerunsOnlyTheNewStep()
    {
        await RunAsync(Flights());
        Harness.Probes.ResetAll();
        var extended = Pipeline(Name, Tag(), Late(), Score(), Step("extra", "Counting", new { Field = "extra", Value = 3 }));

        var run = await RunAsync(extended);

        AssertAllHits(run, "tag");
        AssertAllHits(run, "late");
        AssertAllHits(run, "score");
        AssertAllComputed(run, "extra");
        Assert.Equal(0, Harness.Probes["tag"].Calls);
        Assert.Equal(0, Harness.Probes["score"].Calls);
        Assert.Equal(BatchCount, Harness.Probes["extra"].Calls);
        Assert.Equal((await RunWithoutCacheAsync(extended)).Output, run.Output);
    }

    [Fact]
    public async Task CacheDisabled_ComputesEveryStep_AndWritesBackForTheNextRun()
    {
        var definition = Flights();

        var refresh = await RunAsync(definition, ("Enabled", "false"));
        Assert.Equal(RunStatus.Completed, refresh.Status);
        foreach (var step in refresh.Steps)
        {
            AssertAllComputed(refresh, step.Name);
        }

        Harness.Probes.ResetAll();
        var next = await RunAsync(definition);

        foreach (var step in next.Steps)
        {
            AssertAllHits(next, step.Name);
        }

        Assert.Equal(0, Harness.Probes["tag"].Calls);
        Assert.Equal(refresh.Output, next.Output);
    }

    [Fact]
    public async Task CacheDisabled_ComputesEvenWhenEverythingIsCached()
    {
        var definition = Flights();
        await RunAsync(definition);
        Harness.Probes.ResetAll();

        var refresh = await RunAsync(definition, ("Enabled", "false"));

        foreach (var step in refresh.Steps)
        {
            AssertAllComputed(refresh, step.Name);
        }

        Assert.Equal(BatchCount, Harness.Probes["tag"].Calls);
        Assert.Equal(BatchCount, Harness.Probes["score"].Calls);
    }

    [Fact]
    public async Task StepWithUseCacheFalse_Reruns_WhileTheStepsDownstreamStillHit()
    {
        var definition = Pipeline(Name, Tag(useCache: false), Late(), Score());
        var first = await RunAsync(definition);
        Harness.Probes.ResetAll();

        var second = await RunAsync(definition);

        AssertAllComputed(second, "tag");
        Assert.Equal(BatchCount, Harness.Probes["tag"].Calls);
        AssertAllHits(second, "late");
        AssertAllHits(second, "score");
        Assert.Equal(0, Harness.Probes["score"].Calls);
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public async Task ParameterKeyOrderAndNumberFormat_GiveTheSameSignature_AndTheSecondRunHits()
    {
        // The same parameters three ways: configuration in one key order with 1, configuration in
        // the other order with 1.0, and C# with a dictionary in the other order. Value is read as a
        // number, so its formatting does not count; Note is never read, so only its key order may vary.
        var fieldFirst = Pipeline(Name,
            Step("tag", "Counting", JsonNode.Parse("""{ "Field": "tagged", "Value": 1 }"""), useCache: true),
            Step("score", "Counting", JsonNode.Parse("""{ "Field": "score", "Value": 2, "Note": { "b": "1", "a": "2" } }"""), useCache: true));
        var valueFirst = Pipeline(Name,
            Step("tag", "Counting", JsonNode.Parse("""{ "Value": 1.0, "Field": "tagged" }"""), useCache: true),
            Step("score", "Counting", JsonNode.Parse("""{ "Note": { "a": "2", "b": "1" }, "Value": 2.00e0, "Field": "score" }"""), useCache: true));
        var builder = new PipelineBuilder(Name)
            .BatchSize(BatchSize)
            .Source("flights", "Json", new { Path = FlightsPath })
            .Step("tag", "Counting", new Dictionary<string, object> { ["Value"] = "1.0", ["Field"] = "tagged" }, new StepOptions { UseCache = true })
            .Step("score", "Counting", new Dictionary<string, object>
            {
                ["Value"] = 2.0,
                ["Note"] = new Dictionary<string, object> { ["b"] = "1", ["a"] = 2 },
                ["Field"] = "score",
            }, new StepOptions { UseCache = true })
            .Sink("out", "Collect");
        var code = builder.Build();

        foreach (var step in new[] { "tag", "score" })
        {
            var expected = SignatureOf(fieldFirst, step);
            Assert.Equal(expected, SignatureOf(valueFirst, step));
            Assert.Equal(expected, SignatureOf(code, step));
        }

        var first = await RunAsync(fieldFirst);
        Harness.Probes.ResetAll();
        var second = await RunAsync(valueFirst);
        var third = await RunAsync(code);

        foreach (var run in new[] { second, third })
        {
            AssertAllHits(run, "tag");
            AssertAllHits(run, "score");
            Assert.Equal(first.Output, run.Output);
        }

        Assert.Equal(0, Harness.Probes["tag"].Calls + Harness.Probes["score"].Calls);
    }

    [Fact]
    public async Task CorruptEntry_IsALoggedMiss_TheOutputIsStillRight_AndTheEntryIsReplaced()
    {
        var definition = Flights();
        await RunAsync(definition);
        var keys = await EntryKeysAsync(SignatureOf(definition, "score"));
        Assert.Equal(BatchCount, keys.Count);
        var victim = keys.OrderBy(k => k.Input, StringComparer.Ordinal).First();
        var raw = await ReadRawEntryAsync(victim);
        var middle = raw.Length / 2;
        await OverwriteRawEntryAsync(victim, middle, raw.AsSpan(middle, 16).ToArray().Select(b => (byte)~b).ToArray());
        Harness.Probes.ResetAll();

        var repaired = await RunAsync(definition);

        Assert.Equal(RunStatus.Completed, repaired.Status);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, repaired.Output);
        Assert.Equal(1, repaired.Node("score").Misses);
        Assert.Equal(BatchCount - 1, repaired.Node("score").Hits);
        Assert.Equal(1, Harness.Probes["score"].Calls);
        AssertAllHits(repaired, "tag");
        Assert.Contains(Harness.Logs.Events, e => e.Id.Id == 202 && e.Message.Contains(victim.ToString(), StringComparison.Ordinal));

        var replaced = await Harness.WithStoreAsync(Settings(), store => store.GetAsync(victim, CancellationToken.None));
        Assert.NotNull(replaced);
        Assert.True(_codec.TryDecode(victim, replaced, out _, out _, out var error), error);

        Harness.Probes.ResetAll();
        var after = await RunAsync(definition);
        AssertAllHits(after, "score");
    }

    [Fact]
    public async Task ExpiredEntry_IsAMiss()
    {
        var definition = Flights();
        // Long enough that no entry expires before the run ends and its keys are listed, even on a
        // loaded machine (at 1 s, early entries were gone by then); the wait below is what takes the time.
        await RunAsync(definition, ("Ttl", "00:00:10"));
        var keys = await EntryKeysAsync(SignatureOf(definition, "tag"));
        Assert.Equal(BatchCount, keys.Count);

        // Poll (with a deadline) until the store no longer returns any of them.
        await WaitUntilAsync(() => Harness.WithStoreAsync(Settings(), async store =>
        {
            foreach (var key in keys)
            {
                if (await store.GetAsync(key, CancellationToken.None) is not null)
                {
                    return false;
                }
            }

            return true;
        }));
        Harness.Probes.ResetAll();

        var run = await RunAsync(definition, ("Ttl", "00:00:01"));

        foreach (var step in run.Steps)
        {
            AssertAllComputed(run, step.Name);
        }

        Assert.Equal(BatchCount, Harness.Probes["tag"].Calls);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, run.Output);
    }

    [Fact]
    public async Task StepCacheTtlShorterThanTheEntrysAge_IsAMiss_ThoughTheStoreStillHoldsIt()
    {
        var definition = Pipeline(Name, Tag(), Late(), Score(cacheTtl: "1s"));
        await RunAsync(definition);
        var keys = await EntryKeysAsync(SignatureOf(definition, "score"));
        Assert.Equal(BatchCount, keys.Count);

        // Wait until every entry of score is older than its CacheTtl, going by the entries' own creation times.
        var created = await Harness.WithStoreAsync(Settings(), async store =>
        {
            var newest = DateTimeOffset.MinValue;
            foreach (var key in keys)
            {
                var entry = await store.GetAsync(key, CancellationToken.None);
                Assert.NotNull(entry);
                Assert.True(_codec.TryDecode(key, entry, out _, out var createdAt, out var error), error);
                newest = createdAt > newest ? createdAt : newest;
            }

            return newest;
        });
        await WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow - created > TimeSpan.FromSeconds(1.1)));
        var held = await Harness.WithStoreAsync(Settings(), async store =>
        {
            var count = 0;
            foreach (var key in keys)
            {
                count += await store.GetAsync(key, CancellationToken.None) is null ? 0 : 1;
            }

            return count;
        });
        Assert.Equal(BatchCount, held);
        Harness.Probes.ResetAll();

        var run = await RunAsync(definition);

        AssertAllHits(run, "tag");
        AssertAllHits(run, "late");
        AssertAllComputed(run, "score");
        Assert.Equal(BatchCount, Harness.Probes["score"].Calls);
        Assert.Contains(Harness.Logs.Events, e => e.Id.Id == 205);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, run.Output);
    }

    [Fact]
    public async Task BatchWhoseStepThrew_IsNotCached_AndTheNextRunComputesIt()
    {
        const long FaultyBatch = 5;
        var definition = Flights();
        var tagSignature = SignatureOf(definition, "tag");
        Harness.Probes["tag"].FailOnBatch = FaultyBatch;

        var failed = await RunAsync(definition);

        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains(FaultyBatch, Harness.Probes["tag"].Batches);
        var cachedAfterFailure = (await EntryKeysAsync(tagSignature)).Count;
        Assert.InRange(cachedAfterFailure, 0, BatchCount - 1);

        Harness.Probes["tag"].FailOnBatch = null;
        Harness.Probes.ResetAll();
        var fixedRun = await RunAsync(definition);

        Assert.Equal(RunStatus.Completed, fixedRun.Status);
        Assert.Contains(FaultyBatch, Harness.Probes["tag"].Batches);
        Assert.Equal(BatchCount - cachedAfterFailure, fixedRun.Node("tag").Misses);
        Assert.Equal(cachedAfterFailure, fixedRun.Node("tag").Hits);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, fixedRun.Output);
        Assert.Equal(BatchCount, (await EntryKeysAsync(tagSignature)).Count);
    }

    [Fact]
    public async Task StepThatThrows_OnAWarmCache_StillEndsTheRun()
    {
        // Lookups run ahead of the step: on a warm cache the batches after the failing one are
        // already replayed and queued when it throws. That queue must not keep the run alive.
        const long FaultyBatch = 3;
        var definition = Flights();
        await RunAsync(definition);
        Harness.Probes["tag"].FailOnBatch = FaultyBatch;

        // Damaged entries are misses: the faulty batch is computed (and throws) while the batches
        // after it are still being looked up; later attempts replay the batches fixed meanwhile.
        foreach (var key in await EntryKeysAsync(SignatureOf(definition, "tag")))
        {
            await OverwriteRawEntryAsync(key, 60, new byte[] { 1, 2, 3 });
        }

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var failed = await RunAsync(definition).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(RunStatus.Failed, failed.Status);
        }
    }

    [Fact]
    public async Task EmptyOutput_IsCachedAsEmpty()
    {
        var definition = Flights(where: "delay > 100000");
        var first = await RunAsync(definition);
        Assert.Empty(first.Output);
        Assert.Equal(BatchCount, (await EntryKeysAsync(SignatureOf(definition, "late"))).Count);
        Harness.Probes.ResetAll();

        var second = await RunAsync(definition);

        Assert.Equal(RunStatus.Completed, second.Status);
        AssertAllHits(second, "late");
        Assert.Equal(0, second.Node("late").RecordsOut);
        AssertAllHits(second, "score");
        Assert.Equal(0, Harness.Probes["score"].Calls);
        Assert.Empty(second.Output);
    }

    [Fact]
    public async Task StoreOutage_DegradesToRunningWithoutTheCache_AndWarns()
    {
        var definition = Flights();

        var run = await Harness.RunAsync(definition, UnavailableStoreSettings());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, run.Output);
        foreach (var step in run.Steps)
        {
            AssertAllComputed(run, step.Name);
        }

        Assert.Contains(Harness.Logs.Events, e => e.Id.Id is 203 or 213 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task StoreOutage_WithCacheRequired_FailsTheRun()
    {
        var settings = new Dictionary<string, string?>(UnavailableStoreSettings()) { ["Flow:Cache:Required"] = "true" };

        var run = await Harness.RunAsync(Flights(), settings);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("Required", run.Error?.GetBaseException().Message + run.Error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_AfterAWhereChange_NamesTheParameterWithOldAndNewValues_AndTheUnchangedDownstreamStep()
    {
        await RunAsync(Flights());
        var plan = await Harness.PlanAsync(Flights(where: "delay > 30"));

        var last = PipelineSignatures.TryRead(await Harness.WithStoreAsync(Settings(),
            store => store.GetMetadataAsync(PipelineSignatures.MetadataName(Name), CancellationToken.None)));
        var lines = SignatureExplainer.Explain(plan, last);

        Assert.NotNull(last);
        Assert.Contains(lines, l => l.StartsWith("  tag: unchanged: hits wherever its input is unchanged", StringComparison.Ordinal));
        var late = Assert.Single(lines, l => l.StartsWith("  late:", StringComparison.Ordinal));
        Assert.Contains("Params:Where changed from 'delay > 15' to 'delay > 30'", late, StringComparison.Ordinal);
        var score = Assert.Single(lines, l => l.StartsWith("  score:", StringComparison.Ordinal));
        Assert.Contains("unchanged, but upstream late changed", score, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StepCheaperToComputeThanToReplay_RunsUncached_TheOthersStillHit_AndUseCacheTrueCachesIt()
    {
        // 'late' as configured by default (no UseCache), the others forced.
        var flights = Pipeline(Name, Tag(), Step("late", "Filter", new { Where = "delay > 15" }), Score());
        await RunAsync(flights);
        var warm = await RunAsync(flights);
        AssertAllHits(warm, "late");
        var measured = await SignaturesAsync();
        Assert.True(measured.Steps["late"].AverageReplayTime > TimeSpan.Zero, "a run with hits records what a replay cost");

        // As the last run might have found it: 'late' cost far less to compute than to replay, the others far more.
        var cheap = measured.Steps.ToDictionary(s => s.Key, s => s.Value with { AverageBatchTime = TimeSpan.FromSeconds(1) }, StringComparer.Ordinal);
        cheap["late"] = measured.Steps["late"] with { AverageBatchTime = TimeSpan.FromMilliseconds(0.01), AverageReplayTime = TimeSpan.FromMilliseconds(40) };
        await Harness.WithStoreAsync(Settings(), async store =>
        {
            await store.SetMetadataAsync(PipelineSignatures.MetadataName(Name), new PipelineSignatures(Name, measured.SavedAt, cheap).ToBytes(), CancellationToken.None);
            return true;
        });
        var plan = await Harness.PlanAsync(flights);
        var explained = Assert.Single(SignatureExplainer.Explain(plan, await SignaturesAsync()), l => l.StartsWith("  late:", StringComparison.Ordinal));
        Assert.Equal("  late: unchanged, but not worth caching: in the last run a batch took 0.01 ms to compute and 40 ms to replay from the cache, so it computes (UseCache: true caches it anyway)", explained);

        Harness.Probes.ResetAll();
        var uncached = await RunAsync(flights);

        AssertAllComputed(uncached, "late");
        Assert.StartsWith("not worth caching: in the last run a batch took 0.01 ms", uncached.Node("late").NotCached, StringComparison.Ordinal);
        AssertAllHits(uncached, "tag");
        AssertAllHits(uncached, "score"); // its input bytes are the same, computed or replayed
        Assert.Null(uncached.Node("score").NotCached);
        Assert.Equal((await RunWithoutCacheAsync(flights)).Output, uncached.Output);

        // The replay cost it was judged by is kept, so the next run decides the same; UseCache: true overrides it.
        Assert.Equal(TimeSpan.FromMilliseconds(40), (await SignaturesAsync()).Steps["late"].AverageReplayTime);
        var forced = await RunAsync(Flights());
        AssertAllHits(forced, "late");
        Assert.Null(forced.Node("late").NotCached);
    }

    private async Task<PipelineSignatures> SignaturesAsync() =>
        PipelineSignatures.TryRead(await Harness.WithStoreAsync(Settings(), store => store.GetMetadataAsync(PipelineSignatures.MetadataName(Name), CancellationToken.None)))
        ?? throw new InvalidOperationException("no record of the last run");

    [Fact]
    public async Task ClearWithOnePipelinesSignatures_RemovesItsEntries_AndLeavesAnotherPipelines()
    {
        var alpha = Pipeline("alpha", Step("tag", "Counting", new { Field = "alpha" }), Step("late", "Filter", new { Where = "delay > 15" }));
        var beta = Pipeline("beta", Step("tag", "Counting", new { Field = "beta" }), Step("late", "Filter", new { Where = "delay > 30" }));
        await RunAsync(alpha);
        await RunAsync(beta);

        // What `flow cache clear --pipeline alpha` clears: the signatures of its steps now and in its last run.
        var plan = await Harness.PlanAsync(alpha);
        var removed = await Harness.WithStoreAsync(Settings(), async store =>
        {
            var previous = PipelineSignatures.TryRead(await store.GetMetadataAsync(PipelineSignatures.MetadataName("alpha"), CancellationToken.None));
            var signatures = plan.Nodes.Where(n => n.Kind == NodeKind.Step).Select(n => StepSignature.For(plan.Validated[n.Name]).Hash)
                .Concat(previous?.Steps.Values.Select(s => s.Hash) ?? [])
                .ToHashSet(StringComparer.Ordinal);
            return await store.ClearAsync(signatures, CancellationToken.None);
        });

        Assert.Equal(2 * BatchCount, removed);
        Assert.Empty(await EntryKeysAsync(SignatureOf(alpha, "tag")));
        Assert.Equal(BatchCount, (await EntryKeysAsync(SignatureOf(beta, "tag"))).Count);
        var alphaAgain = await RunAsync(alpha);
        var betaAgain = await RunAsync(beta);
        AssertAllComputed(alphaAgain, "tag");
        AssertAllComputed(alphaAgain, "late");
        AssertAllHits(betaAgain, "tag");
        AssertAllHits(betaAgain, "late");
    }

    /// <summary>The store's settings plus <c>Flow:Cache:{key}</c> overrides.</summary>
    protected IReadOnlyDictionary<string, string?> Settings(params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StoreSettings(), StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in overrides)
        {
            settings["Flow:Cache:" + key] = value;
        }

        return settings;
    }

    internal Task<CacheRun> RunAsync(PipelineDefinition definition, params (string Key, string Value)[] overrides) =>
        RunCompletedAsync(definition, Settings(overrides));

    internal async Task<CacheRun> RunCompletedAsync(PipelineDefinition definition, IReadOnlyDictionary<string, string?> settings)
    {
        var run = await Harness.RunAsync(definition, settings);
        if (run.Status != RunStatus.Completed && Harness.Probes["tag"].FailOnBatch is null)
        {
            Assert.Fail($"the run ended {run.Status}: {run.Error}");
        }

        return run;
    }

    internal static PipelineDefinition Flights(string where = "delay > 15") => Pipeline(Name, Tag(), Late(where), Score());

    // The steps are cheap stand-ins for expensive ones: UseCache: true keeps them cached whatever
    // the last run measured (else a third run would find them cheaper to compute than to replay).
    internal static JsonObject Tag(bool? useCache = true) => Step("tag", "Counting", new { Field = "tagged", Value = 1 }, useCache);

    internal static JsonObject Late(string where = "delay > 15") => Step("late", "Filter", new { Where = where }, useCache: true);

    internal static JsonObject Score(string? cacheTtl = null) => Step("score", "Counting", new { Field = "score", Value = 2 }, useCache: true, cacheTtl: cacheTtl);

    internal string SignatureOf(PipelineDefinition definition, string step) =>
        StepSignature.For(Harness.PlanAsync(definition).GetAwaiter().GetResult().Validated[step]).Hash;

    internal static void AssertAllHits(CacheRun run, string step)
    {
        var stats = run.Node(step);
        Assert.True(stats.Hits == BatchCount && stats.Misses == 0, $"{step}: expected {BatchCount} hits and no miss, got {stats.Hits} hits and {stats.Misses} misses");
    }

    internal static void AssertAllComputed(CacheRun run, string step)
    {
        var stats = run.Node(step);
        Assert.True(stats.Hits == 0 && stats.Misses == BatchCount, $"{step}: expected {BatchCount} misses and no hit, got {stats.Hits} hits and {stats.Misses} misses");
    }

    /// <summary>Polls a condition until it holds, failing after a deadline.</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition().WaitAsync(PollDeadline))
        {
            if (clock.Elapsed > PollDeadline)
            {
                Assert.Fail($"condition not met within {PollDeadline.TotalSeconds} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
