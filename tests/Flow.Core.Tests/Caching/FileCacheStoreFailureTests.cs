using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>
/// The File store says exactly what is wrong and never crashes: an entry it cannot use is that
/// entry's problem (<see cref="CacheEntryUnusableException"/>, repaired by the next write); trouble
/// with its folders is a <see cref="CacheStoreException"/> that names the path.
/// </summary>
public sealed class FileCacheStoreFailureTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly CacheKey Key = new("aa11", "bc22");

    private readonly TempDirectory _folder = new();

    private string Root => _folder.File("cache");

    private string EntryFile => Path.Combine(Root, "entries", Key.Signature, Key.Input[..2], Key.Input);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task GetAsync_FolderInTheEntrysPlace_ThrowsUnusableEntry_AndSetAsyncReplacesIt()
    {
        var store = new FileCacheStore(Root);
        Directory.CreateDirectory(Path.Combine(EntryFile, "inner"));
        await File.WriteAllTextAsync(Path.Combine(EntryFile, "inner", "x"), "not an entry").WaitAsync(Timeout);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(Key, default)).WaitAsync(Timeout);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);

        var unusable = Assert.IsType<CacheEntryUnusableException>(error);
        Assert.Equal($"a folder is in the entry's place ({EntryFile})", unusable.Reason);
        Assert.True(File.Exists(EntryFile));
        Assert.Equal("value"u8.ToArray(), await store.GetAsync(Key, default).WaitAsync(Timeout));
    }

    [Fact]
    public async Task GetAsync_EntryFileThatCannotBeOpened_ThrowsUnusableEntry_AndSetAsyncReplacesIt()
    {
        // A symbolic link to itself: open(2) fails with ELOOP, for root too (permissions would not).
        var store = new FileCacheStore(Root);
        Directory.CreateDirectory(Path.GetDirectoryName(EntryFile)!);
        File.CreateSymbolicLink(EntryFile, EntryFile);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(Key, default)).WaitAsync(Timeout);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);

        var unusable = Assert.IsType<CacheEntryUnusableException>(error);
        Assert.StartsWith("the entry file cannot be opened: ", unusable.Reason, StringComparison.Ordinal);
        Assert.Equal("value"u8.ToArray(), await store.GetAsync(Key, default).WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(0, "the entry file is empty")]
    [InlineData(5, "the entry file is 5 bytes, shorter than its 8-byte expiry header")]
    public async Task GetAsync_EntryFileShorterThanItsHeader_ThrowsUnusableEntry(int length, string reason)
    {
        var store = new FileCacheStore(Root);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);
        await File.WriteAllBytesAsync(EntryFile, new byte[length]).WaitAsync(Timeout);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetAsync(Key, default)).WaitAsync(Timeout);

        Assert.Equal(reason, Assert.IsType<CacheEntryUnusableException>(error).Reason);
    }

    [Fact]
    public async Task SetAsync_ReadOnlyEntryFolder_ThrowsAccessDeniedNamingTheFolder()
    {
        var store = new FileCacheStore(Root);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);
        var folder = Path.GetDirectoryName(EntryFile)!;
        Exception? error;
        byte[]? read;
        using (ReadOnlyFolder.Make(folder))
        {
            error = await Xunit.Record.ExceptionAsync(() => store.SetAsync(Key, "other"u8.ToArray(), Day, default)).WaitAsync(Timeout);
            read = await store.GetAsync(Key, default).WaitAsync(Timeout);
        }

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.AccessDenied, failure.Failure);
        Assert.Equal($"cache store File {Root} cannot be written: permission denied on '{folder}'", failure.Message);
        Assert.Equal($"permission denied on '{folder}'", failure.Cause);
        Assert.Equal("value"u8.ToArray(), read); // reads still work
    }

    [Fact]
    public async Task ClearAsync_ReadOnlyEntryFolder_ThrowsAccessDeniedInsteadOfCrashing()
    {
        var store = new FileCacheStore(Root);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);
        var folder = Path.GetDirectoryName(EntryFile)!;
        Exception? error;
        using (ReadOnlyFolder.Make(folder))
        {
            error = await Xunit.Record.ExceptionAsync(() => store.ClearAsync(null, default)).WaitAsync(Timeout);
        }

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal($"cache store File {Root} cannot be written: permission denied on '{folder}'", failure.Message);
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("clear")]
    [InlineData("gc")]
    [InlineData("metadata")]
    public async Task MaintenanceAndMetadata_RootIsAFile_ThrowNotAFolder(string call)
    {
        await File.WriteAllTextAsync(Root, "a file where the cache folder should be").WaitAsync(Timeout);
        var store = new FileCacheStore(Root);

        var error = await Xunit.Record.ExceptionAsync(() => call switch
        {
            "stats" => store.GetStatsAsync(default),
            "clear" => store.ClearAsync(null, default),
            "gc" => store.CollectGarbageAsync(null, default),
            _ => store.GetMetadataAsync("pipeline.p", default),
        }).WaitAsync(Timeout);

        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.NotAFolder, failure.Failure);
        Assert.EndsWith($": '{Root}' is a file, not a folder", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAndSet_RootBelowAFile_ReadsMiss_WritesThrowNotAFolder()
    {
        var file = _folder.File("not-a-folder");
        await File.WriteAllTextAsync(file, "x").WaitAsync(Timeout);
        var store = new FileCacheStore(Path.Combine(file, "cache"));

        var read = await store.GetAsync(Key, default).WaitAsync(Timeout);
        var error = await Xunit.Record.ExceptionAsync(() => store.SetAsync(Key, "v"u8.ToArray(), Day, default)).WaitAsync(Timeout);

        Assert.Null(read);
        var failure = Assert.IsType<CacheStoreException>(error);
        Assert.Equal(CacheStoreFailure.NotAFolder, failure.Failure);
        Assert.Equal($"'{file}' is a file, not a folder", failure.Cause);
    }

    [Fact]
    public async Task GetMetadataAsync_FolderInItsPlace_ThrowsUnusable_AndSetMetadataAsyncReplacesIt()
    {
        var store = new FileCacheStore(Root);
        var path = Path.Combine(Root, "meta", "pipeline.p");
        Directory.CreateDirectory(path);

        var error = await Xunit.Record.ExceptionAsync(() => store.GetMetadataAsync("pipeline.p", default)).WaitAsync(Timeout);
        await store.SetMetadataAsync("pipeline.p", "{}"u8.ToArray(), default).WaitAsync(Timeout);

        Assert.Equal($"a folder is in the metadata document's place ({path})", Assert.IsType<CacheEntryUnusableException>(error).Reason);
        Assert.Equal("{}"u8.ToArray(), await store.GetMetadataAsync("pipeline.p", default).WaitAsync(Timeout));
    }

    [Fact]
    public async Task StatsAndGc_FilesNotAtAnEntrysPlace_AreSkippedAndKept()
    {
        var store = new FileCacheStore(Root);
        await store.SetAsync(Key, "value"u8.ToArray(), Day, default).WaitAsync(Timeout);
        var stray = Path.Combine(Root, "entries", "aa11", "notes.txt");
        var nested = Path.Combine(Root, "entries", "aa11", "cc", "ccdd", "x");
        Directory.CreateDirectory(Path.GetDirectoryName(nested)!);
        await File.WriteAllTextAsync(stray, "mine").WaitAsync(Timeout);
        await File.WriteAllTextAsync(nested, "mine too").WaitAsync(Timeout);

        var stats = await store.GetStatsAsync(default).WaitAsync(Timeout);
        var gc = await store.CollectGarbageAsync(0, default).WaitAsync(Timeout);

        Assert.Equal(new CacheStoreStats(1, 5, 1), stats);
        Assert.Equal(new CacheGcResult(0, 1, 0, 0), gc);
        Assert.True(File.Exists(stray));
        Assert.True(File.Exists(nested));
    }
}
