using System.Text.Json;
using Flow.Caching;
using Flow.Core.Tests;

namespace Flow.Tests.Caching;

/// <summary>
/// The lease contract on the File store (two store instances over one folder, as two processes on
/// one machine would be), and its lock files: where they are, what they hold, how a dead holder's
/// lock and a takeover file left behind are dealt with.
/// </summary>
public sealed class FileCacheStoreLeaseTests : CacheLeaseStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "flow-file-leases-" + Guid.NewGuid().ToString("N"));

    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<ICacheStore>(new FileCacheStore(_root, time));

    protected override Task<ICacheStore> CreateOtherWorkerAsync(TimeProvider time) => Task.FromResult<ICacheStore>(new FileCacheStore(_root, time));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string LockFile(string signature, string input) => Path.Combine(_root, "entries", signature, input[..2], ".lock-" + input);

    /// <summary>A lock file written behind the store's back (another process's), its heartbeat now.</summary>
    private async Task<string> WriteLockAsync(string signature, string input, string contents)
    {
        var path = LockFile(signature, input);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, contents);
        File.SetLastWriteTimeUtc(path, Time.GetUtcNow().UtcDateTime);
        return path;
    }

    [Fact]
    public async Task TryAcquire_CreatesALockFileNamingItsOwner_AndReleaseDeletesIt()
    {
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        var path = LockFile("aa11", "bb22");
        using (var owner = JsonDocument.Parse(await File.ReadAllBytesAsync(path)))
        {
            Assert.Equal(Environment.ProcessId, owner.RootElement.GetProperty("pid").GetInt32());
            Assert.Equal(Environment.MachineName, owner.RootElement.GetProperty("host").GetString());
            Assert.Equal(LeaseHolder.Current, owner.RootElement.GetProperty("holder").GetString());
            Assert.Equal(32, owner.RootElement.GetProperty("token").GetString()!.Length);
            Assert.Equal((long)Life.TotalMilliseconds, owner.RootElement.GetProperty("ttlMs").GetInt64());
        }

        Assert.Equal(Time.GetUtcNow().UtcDateTime, File.GetLastWriteTimeUtc(path));

        await held.DisposeAsync();
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + "~takeover"));
    }

    [Fact]
    public async Task Renew_StampsTheHeartbeat()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await held.RenewAsync(Life, None));

        Assert.Equal(Time.GetUtcNow().UtcDateTime, File.GetLastWriteTimeUtc(LockFile("aa11", "bb22")));
    }

    [Fact]
    public async Task TryAcquire_LockOfADeadProcess_IsTakenOverOnceItsHeartbeatIsOlderThanItsLife()
    {
        // What a process killed while holding the lease leaves: its lock file, with no one stamping it.
        var path = await WriteLockAsync("aa11", "bb22", """{"pid": 999999, "host": "elsewhere", "token": "0123456789abcdef0123456789abcdef", "ttlMs": 2000}""");

        Time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22"))); // its own life (2 s), not ours (30 s), counts

        Time.Advance(TimeSpan.FromMilliseconds(1000));
        await using var taker = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(taker);
        Assert.DoesNotContain("elsewhere", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task TryAcquire_LockOfAProcessOfThisMachineThatIsGone_IsTakenOverAtOnce()
    {
        // What the same worker, killed and started again, finds: its heartbeat fresh, its holder gone.
        var path = await WriteLockAsync("aa11", "bb22", $$"""{"pid": 999999, "host": "h", "holder": "{{TestLeaseHolders.Gone()}}", "token": "0123456789abcdef0123456789abcdef", "ttlMs": 600000}""");

        await using var taker = await AcquireAsync(Worker1, Key("aa11", "bb22"));

        Assert.NotNull(taker);
        Assert.Contains(LeaseHolder.Current, await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task TryAcquire_LockOfALiveProcessOfThisMachine_IsNotTakenOver()
    {
        await WriteLockAsync("aa11", "bb22", $$"""{"pid": 1, "host": "h", "holder": "{{LeaseHolder.Current}}", "token": "0123456789abcdef0123456789abcdef", "ttlMs": 600000}""");

        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22")));
    }

    [Fact]
    public async Task TryAcquire_UnreadableLock_CountsWithTheCallersLife()
    {
        await WriteLockAsync("aa11", "bb22", "not json");

        Assert.Null(await AcquireAsync(Worker1, Key("aa11", "bb22")));
        Time.Advance(Life + TimeSpan.FromSeconds(1));
        await using var taker = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(taker);
    }

    [Fact]
    public async Task TryAcquire_TakeoverFileLeftByAKilledProcess_IsRemovedAfterAMinute()
    {
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);
        var takeover = LockFile("aa11", "bb22") + "~takeover";
        await File.WriteAllBytesAsync(takeover, []);
        File.SetLastWriteTimeUtc(takeover, Time.GetUtcNow().UtcDateTime);

        // Lapsed, but someone is (seemingly) taking it over: not yet.
        Time.Advance(Life * 2);
        Assert.Null(await AcquireAsync(Worker2, Key("aa11", "bb22")));

        // A minute on, the takeover file is known to be left over.
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await AcquireAsync(Worker2, Key("aa11", "bb22"))); // this attempt removes it
        Assert.False(File.Exists(takeover));
        await using var taker = await AcquireAsync(Worker2, Key("aa11", "bb22"));
        Assert.NotNull(taker);
    }

    [Fact]
    public async Task CollectGarbage_RemovesLapsedLocks_AndEmptyFolders()
    {
        var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        Time.Advance(TimeSpan.FromDays(1));
        await Store.CollectGarbageAsync(null, None);

        Assert.False(File.Exists(LockFile("aa11", "bb22")));
        Assert.False(await held.RenewAsync(Life, None));
    }

    [Fact]
    public async Task Stats_DoNotCountLockFilesAsForeignFiles()
    {
        await using var held = await AcquireAsync(Worker1, Key("aa11", "bb22"));
        Assert.NotNull(held);

        var logger = new ListLogger();
        var store = new FileCacheStore(_root, Time, logger);
        await store.GetStatsAsync(None);

        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("skipped", StringComparison.OrdinalIgnoreCase));
    }
}
