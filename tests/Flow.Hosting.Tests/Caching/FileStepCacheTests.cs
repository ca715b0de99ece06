using Flow.Caching;

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

    private string EntryPath(CacheKey key) => Path.Combine(Root, "entries", key.Signature, key.Input[..2], key.Input);
}
