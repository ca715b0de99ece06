using System.Buffers.Binary;
using Flow.Caching;
using Flow.Serialization;
using Flow.Tests.Serialization;

namespace Flow.Tests.Caching;

public sealed class FileCacheStoreTests : CacheStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "flow-file-store-" + Guid.NewGuid().ToString("N"));

    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<ICacheStore>(new FileCacheStore(_root, time));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string EntryFile(string signature, string input) => Path.Combine(_root, "entries", signature, input[..2], input);

    [Fact]
    public async Task SetAsync_WritesExpiryHeaderAndValueAtDocumentedPath()
    {
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("value"), TimeSpan.FromMinutes(5), None).WaitAsync(Timeout);

        var file = await File.ReadAllBytesAsync(EntryFile("aa11", "bc22")).WaitAsync(Timeout);
        var expectedExpiry = Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        Assert.Equal(expectedExpiry, BinaryPrimitives.ReadInt64LittleEndian(file));
        Assert.Equal(Bytes("value"), file[8..]);
    }

    [Fact]
    public async Task SetMetadataAsync_EscapesNameToPortableFileName()
    {
        await Store.SetMetadataAsync("pipeline:flights", Bytes("m"), None).WaitAsync(Timeout);
        await Store.SetMetadataAsync(".hidden", Bytes("h"), None).WaitAsync(Timeout);

        Assert.True(File.Exists(Path.Combine(_root, "meta", "pipeline%3Aflights")));
        Assert.True(File.Exists(Path.Combine(_root, "meta", "%2Ehidden")));
        Assert.Equal(Bytes("h"), await Store.GetMetadataAsync(".hidden", None).WaitAsync(Timeout));
    }

    [Theory]
    [InlineData("a:b", "a%3Ab")]
    [InlineData("a%3Ab", "a%253Ab")]
    [InlineData("été", "%C3%A9t%C3%A9")]
    [InlineData("v1.2_x-y", "v1.2_x-y")]
    public void EscapeFileName_IsOneToOneAndPortable(string name, string expected)
    {
        Assert.Equal(expected, FileCacheStore.EscapeFileName(name));
    }

    [Fact]
    public async Task GetAsync_ValueTruncatedByHand_ReturnsTheBytesLeftAndTheCodecRejectsThem()
    {
        var codec = new CacheEntryCodec();
        var payload = BatchSerializer.Serialize(Enumerable.Range(0, 20).Select(BatchSerializerTests.Flight).ToList());
        var entry = codec.Encode(payload, Time.GetUtcNow());
        await Store.SetAsync(Key("aa11", "bc22"), entry, Day, None).WaitAsync(Timeout);
        var path = EntryFile("aa11", "bc22");
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(8 + (entry.Length / 2));
        }

        var stored = await Store.GetAsync(Key("aa11", "bc22"), None).WaitAsync(Timeout);

        Assert.Equal(entry[..(entry.Length / 2)], stored);
        Assert.False(codec.TryDecode(stored, out _, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public async Task CollectGarbageAsync_FileShorterThanExpiryHeader_IsRemovedAsExpired()
    {
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("value"), Day, None).WaitAsync(Timeout);
        await File.WriteAllBytesAsync(EntryFile("aa11", "bc22"), [1, 2, 3]).WaitAsync(Timeout);

        var result = await Store.CollectGarbageAsync(null, None).WaitAsync(Timeout);

        Assert.Equal(1, result.Expired);
        Assert.False(File.Exists(EntryFile("aa11", "bc22")));
    }

    [Fact]
    public async Task CollectGarbageAsync_StaleTempFiles_RemovedFreshOnesKept()
    {
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("value"), Day, None).WaitAsync(Timeout);
        var folder = Path.GetDirectoryName(EntryFile("aa11", "bc22"))!;
        var stale = Path.Combine(folder, ".tmp-stale");
        var fresh = Path.Combine(folder, ".tmp-fresh");
        var staleMeta = Path.Combine(_root, "meta", ".tmp-stale");
        Directory.CreateDirectory(Path.Combine(_root, "meta"));
        foreach (var path in new[] { stale, fresh, staleMeta })
        {
            await File.WriteAllBytesAsync(path, [1, 2, 3]).WaitAsync(Timeout);
        }

        File.SetLastWriteTimeUtc(stale, Time.GetUtcNow().UtcDateTime.AddHours(-2));
        File.SetLastWriteTimeUtc(staleMeta, Time.GetUtcNow().UtcDateTime.AddHours(-2));
        File.SetLastWriteTimeUtc(fresh, Time.GetUtcNow().UtcDateTime.AddMinutes(-10));

        var result = await Store.CollectGarbageAsync(null, None).WaitAsync(Timeout);

        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleMeta));
        Assert.True(File.Exists(fresh));
        Assert.Equal(new CacheGcResult(0, 0, 1, 5), result);
        Assert.Equal(new CacheStoreStats(1, 5, 1), await Store.GetStatsAsync(None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task CollectGarbageAsync_RemovesFoldersLeftEmpty()
    {
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("v"), TimeSpan.FromMinutes(1), None).WaitAsync(Timeout);
        await Store.SetAsync(Key("dd44", "ef55"), Bytes("v"), Day, None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromMinutes(2));

        await Store.CollectGarbageAsync(null, None).WaitAsync(Timeout);

        Assert.False(Directory.Exists(Path.Combine(_root, "entries", "aa11")));
        Assert.True(File.Exists(EntryFile("dd44", "ef55")));
    }

    [Fact]
    public async Task ClearAsync_Signature_DeletesItsFolder()
    {
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("v"), Day, None).WaitAsync(Timeout);

        await Store.ClearAsync(["aa11"], None).WaitAsync(Timeout);

        Assert.False(Directory.Exists(Path.Combine(_root, "entries", "aa11")));
    }

    [Fact]
    public async Task ClearAsync_Null_LeavesOtherFilesUnderRootAlone()
    {
        Directory.CreateDirectory(_root);
        var userFile = Path.Combine(_root, "notes.txt");
        await File.WriteAllTextAsync(userFile, "mine").WaitAsync(Timeout);
        await Store.SetAsync(Key("aa11", "bc22"), Bytes("v"), Day, None).WaitAsync(Timeout);

        await Store.ClearAsync(null, None).WaitAsync(Timeout);

        Assert.True(File.Exists(userFile));
        Assert.False(Directory.Exists(Path.Combine(_root, "entries")));
    }

    [Fact]
    public async Task SetAsync_LeavesNoTempFiles()
    {
        for (var i = 0; i < 10; i++)
        {
            await Store.SetAsync(Key("aa11", "bc22"), Sized(100 + i, (byte)i), Day, None).WaitAsync(Timeout);
        }

        await Store.SetMetadataAsync("m", Bytes("v"), None).WaitAsync(Timeout);

        Assert.Empty(Directory.EnumerateFiles(_root, ".tmp-*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task TwoInstancesOnOneFolder_ConcurrentWritesAndReads_NeverTear()
    {
        // Two stores on one folder stand for two processes: nothing is shared but the files. Every value
        // describes itself (its length follows from its fill byte), so a torn or mixed read shows.
        var time = TimeProvider.System;
        var stores = new[] { new FileCacheStore(_root, time), new FileCacheStore(_root, time) };
        string[] shared = ["5a11", "5a12", "5a13"];
        var torn = 0;
        var reads = 0;
        using var stop = new CancellationTokenSource();

        async Task Worker(int id)
        {
            var store = stores[id % 2];
            var random = new Random(id);
            for (var i = 0; i < 300; i++)
            {
                var fill = (byte)random.Next(256);
                var input = random.Next(3) == 0 ? $"{id:x2}{i:x4}" : shared[random.Next(shared.Length)];
                var key = Key(random.Next(2) == 0 ? "aa11" : "bb22", input);
                await store.SetAsync(key, SelfDescribing(fill), Day, None);
                var value = await stores[random.Next(2)].GetAsync(Key(key.Signature, shared[random.Next(shared.Length)]), None);
                if (value is not null)
                {
                    Interlocked.Increment(ref reads);
                    if (!IsWhole(value))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            }
        }

        async Task Collector()
        {
            // Garbage collection removes folders the moment they are empty: writers must cope.
            while (!stop.IsCancellationRequested)
            {
                await stores[1].CollectGarbageAsync(null, None);
                await Task.Yield();
            }
        }

        var collector = Task.Run(Collector);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(id => Task.Run(() => Worker(id)))).WaitAsync(TimeSpan.FromSeconds(120));
        await stop.CancelAsync();
        await collector.WaitAsync(Timeout);

        Assert.Equal(0, torn);
        Assert.True(reads > 100, $"only {reads} reads found a value");
        Assert.Empty(Directory.EnumerateFiles(_root, ".tmp-*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));
        foreach (var input in shared)
        {
            var value = await stores[0].GetAsync(Key("aa11", input), None).WaitAsync(Timeout);
            Assert.True(value is not null && IsWhole(value));
        }
    }

    private static byte[] SelfDescribing(byte fill) => Sized(1000 + (fill * 97), fill);

    private static bool IsWhole(byte[] value) =>
        value.Length >= 1000 && value.Length == 1000 + (value[0] * 97) && !value.AsSpan().ContainsAnyExcept(value[0]);
}
