using Flow.Caching;
using Flow.Execution;
using Microsoft.Extensions.Logging;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>The step cache contract on the File store, in a temporary folder of its own per test.</summary>
public sealed class FileStepCacheTests : StepCacheContractTests
{
    private readonly string _folder = Directory.CreateTempSubdirectory("flow-cache-test-").FullName;

    private string Root => Path.Combine(_folder, "cache");

    public override Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    protected override IReadOnlyDictionary<string, string?> StoreSettings() => new Dictionary<string, string?>
    {
        ["Flow:Cache:Store"] = "File",
        ["Flow:Cache:Path"] = Root,
    };

    /// <summary>A store folder below a regular file: nothing can be created there.</summary>
    protected override IReadOnlyDictionary<string, string?> UnavailableStoreSettings()
    {
        var file = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(file, "a file where the cache folder should be");
        return new Dictionary<string, string?>
        {
            ["Flow:Cache:Store"] = "File",
            ["Flow:Cache:Path"] = Path.Combine(file, "cache"),
        };
    }

    protected override Task<IReadOnlyList<CacheKey>> EntryKeysAsync(string signature)
    {
        var folder = Path.Combine(Root, "entries", signature);
        IReadOnlyList<CacheKey> keys = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Select(Path.GetFileName)
                .Where(name => !name!.StartsWith('.'))
                .Select(name => new CacheKey(signature, name!))
                .ToList()
            : [];
        return Task.FromResult(keys);
    }

    protected override Task<byte[]> ReadRawEntryAsync(CacheKey key) => File.ReadAllBytesAsync(EntryPath(key));

    protected override async Task OverwriteRawEntryAsync(CacheKey key, int offset, byte[] bytes)
    {
        await using var file = new FileStream(EntryPath(key), FileMode.Open, FileAccess.Write);
        file.Seek(offset, SeekOrigin.Begin);
        await file.WriteAsync(bytes);
    }

    [Fact]
    public async Task ReadOnlyCacheFolder_WarnsOnceThatWritingFails_AndNeverThatCachingResumes()
    {
        // Reads of a read-only folder work (every one a miss), what writes fails: the leases (their
        // lock files, tried first) and the entries. Only the first may be warned about, the rest
        // counted, and no read may pass for a recovery.
        Directory.CreateDirectory(Root);
        var definition = Flights();
        CacheRun run;
        using (ReadOnlyFolder.Make(Root))
        {
            run = await Harness.RunAsync(definition, StoreSettings());
        }

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, run.Output);
        var warning = Assert.Single(Harness.Logs.Events, e => e.Id.Id == 203);
        Assert.StartsWith($"lease calls to File {Root} fail (permission denied on '{Path.Combine(Root, "entries")}", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.Logs.Events, e => e.Id.Id == 204);
        var summary = Assert.Single(Harness.Logs.Events, e => e.Id.Id == 207);
        Assert.Contains("writes: ", summary.Message, StringComparison.Ordinal);
        Assert.Contains("leases: ", summary.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("empty")]
    [InlineData("short")]
    public async Task UnusableEntry_WithCacheRequired_IsOneLoggedMiss_TheRunCompletes_AndTheNextRunHits(string damage)
    {
        var definition = Flights();
        await RunAsync(definition);
        var victim = (await EntryKeysAsync(SignatureOf(definition, "score"))).OrderBy(k => k.Input, StringComparer.Ordinal).First();
        var path = EntryPath(victim);
        File.Delete(path);
        switch (damage)
        {
            case "folder":
                Directory.CreateDirectory(Path.Combine(path, "inner"));
                break;
            case "empty":
                await File.WriteAllBytesAsync(path, []);
                break;
            default:
                await File.WriteAllBytesAsync(path, [1, 2, 3]);
                break;
        }

        Harness.Probes.ResetAll();

        var repaired = await RunAsync(definition, ("Required", "true"));

        Assert.Equal(RunStatus.Completed, repaired.Status);
        Assert.Equal((await RunWithoutCacheAsync(definition)).Output, repaired.Output);
        Assert.Equal(1, repaired.Node("score").Misses);
        var bad = Assert.Single(Harness.Logs.Events, e => e.Level >= LogLevel.Warning);
        Assert.Equal(202, bad.Id.Id);
        Assert.Contains(victim.ToString(), bad.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(path));

        Harness.Probes.ResetAll();
        var after = await RunAsync(definition, ("Required", "true"));
        AssertAllHits(after, "score");
    }

    [Fact]
    public async Task RequiredStoreFailingMidRun_FailsTheRunWithItsMessage_AndTheBookkeepingAfterItNeverThrows()
    {
        Directory.CreateDirectory(Root);
        var settings = Settings(("Required", "true"));
        CacheRun run;
        using (ReadOnlyFolder.Make(Root))
        {
            run = await Harness.RunAsync(Flights(), settings);
        }

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Result);
        var failure = Assert.IsType<CacheStoreException>(run.Error);
        Assert.StartsWith($"the cache store File {Root} cannot be written and Flow:Cache:Required is true: permission denied on", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.Logs.Events, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task StoreFailures_InARunThatFailed_AreNeverReportedAsACompleteOutput()
    {
        Harness.Probes["tag"].FailOnBatch = 3;

        var run = await Harness.RunAsync(Flights(), UnavailableStoreSettings());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains(Harness.Logs.Events, e => e.Id.Id == 203);
        Assert.DoesNotContain(Harness.Logs.Events, e => e.Id.Id == 207);
        Assert.Single(Harness.Logs.Events, e => e.Id.Id == 208);
    }

    [Fact]
    public async Task RunRecordThatIsNotJson_IsWarnedOnce_AndWrittenAgain()
    {
        var definition = Flights();
        await RunAsync(definition);
        var record = Path.Combine(Root, "meta", PipelineSignatures.MetadataName("flights"));
        await File.WriteAllTextAsync(record, "this is not JSON");

        var run = await RunAsync(definition);

        Assert.Equal(RunStatus.Completed, run.Status);
        var warning = Assert.Single(Harness.Logs.Events, e => e.Id.Id == 210);
        Assert.Contains("is unusable (not a valid document:", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(PipelineSignatures.TryRead(await File.ReadAllBytesAsync(record)));
    }

    private string EntryPath(CacheKey key) => Path.Combine(Root, "entries", key.Signature, key.Input[..2], key.Input);
}
