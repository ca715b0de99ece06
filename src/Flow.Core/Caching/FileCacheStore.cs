using System.Buffers.Binary;
using System.IO.Enumeration;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Flow.Caching;

/// <summary>
/// The embedded cache store: a folder of content-addressed files, safe for several processes on one
/// machine at once.
/// </summary>
/// <remarks>
/// <para>Layout: <c>{root}/entries/{signature}/{input[0..2]}/{input}</c> (one folder per step signature,
/// so clearing a step deletes a folder; the two-character level keeps folders small) and
/// <c>{root}/meta/{escaped name}</c>. An entry file is an 8-byte little-endian expiry (unix ms,
/// <see cref="long.MaxValue"/> for never) followed by the value; a metadata file is the value alone.</para>
/// <para>Writes go to <c>.tmp-{guid}</c> in the target's folder and are renamed over the target, so a
/// reader in any process sees no file or a whole file. Files are never changed in place.</para>
/// <para>LRU: a hit stamps the file's last access time explicitly (the mount's atime policy is not
/// relied on) and garbage collection evicts the oldest stamps first.</para>
/// <para>I/O is synchronous behind completed tasks, on purpose. Entries are tens of KB and almost
/// always in the page cache; on Linux, "async" file I/O is the same syscalls run on a thread-pool
/// thread, so <c>FileOptions.Asynchronous</c> would only add a hop and allocations to each call.
/// <see cref="RandomAccess"/> on a <see cref="SafeFileHandle"/> keeps it to open, one read or one
/// gathered write, and close, with no FileStream buffer.</para>
/// <para>Failures: an entry that exists but cannot be used (a folder in its place, a file that
/// cannot be opened, one too short for its header) throws <see cref="CacheEntryUnusableException"/>:
/// a logged miss, and the next write of that key replaces it (a folder in an entry's place is
/// removed, only ever inside <c>entries/</c> or <c>meta/</c>). Trouble with the store's own folders
/// (permissions, a file where a folder should be) throws <see cref="CacheStoreException"/> naming
/// the path. Files under <c>entries/</c> that are not at an entry's place are not entries: stats and
/// garbage collection skip them (and log how many), clear deletes them with the rest of the folder.
/// Lease lock files (<c>.lock-{input}</c>, see <c>FileCacheStore.Leases.cs</c>) are neither: every
/// walk leaves the live ones alone and deletes the lapsed ones.</para>
/// </remarks>
internal sealed partial class FileCacheStore : ICacheStore
{
    private const string TempPrefix = ".tmp-";
    private const int ExpiryLength = 8;
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private static readonly EnumerationOptions RecursiveAll = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,

        // On Unix, names starting with '.' count as hidden, and the default skips hidden files: the temp files.
        AttributesToSkip = 0,
    };

    private readonly string _root;
    private readonly string _entriesRoot;
    private readonly string _metaRoot;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a store over <paramref name="rootPath"/> (created on first write).</summary>
    public FileCacheStore(string rootPath, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootPath);
        _root = Path.GetFullPath(rootPath);
        _entriesRoot = Path.Combine(_root, "entries");
        _metaRoot = Path.Combine(_root, "meta");
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Description = "File " + rootPath;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>The full path of the store's folder.</summary>
    public string RootPath => _root;

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        var path = EntryPath(key);
        var now = _time.GetUtcNow();
        var handle = OpenForRead(path, "entry");
        if (handle is null)
        {
            return Task.FromResult<byte[]?>(null);
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            Span<byte> header = stackalloc byte[ExpiryLength];

            // A header torn by hand holds no value at all: unusable, so the miss is logged and the
            // entry rewritten. (A torn value is returned as is; the entry codec's checksum is what
            // tells it apart from a good one.)
            if (length < ExpiryLength || ReadEntryBytes(handle, header, 0) < ExpiryLength)
            {
                throw new CacheEntryUnusableException(length == 0
                    ? "the entry file is empty"
                    : $"the entry file is {length} bytes, shorter than its {ExpiryLength}-byte expiry header");
            }

            if (length - ExpiryLength > Array.MaxLength)
            {
                throw new CacheEntryUnusableException($"the entry file is {length} bytes, more than an entry can hold");
            }

            // Expired files are left for garbage collection: deleting here could race with another
            // process that just renamed a fresh entry into place.
            if (BinaryPrimitives.ReadInt64LittleEndian(header) <= now.ToUnixTimeMilliseconds())
            {
                return Task.FromResult<byte[]?>(null);
            }

            var value = GC.AllocateUninitializedArray<byte>((int)(length - ExpiryLength));
            var read = ReadEntryBytes(handle, value, ExpiryLength);
            if (read < value.Length)
            {
                value = value.AsSpan(0, read).ToArray();
            }

            StampAccess(handle, now.UtcDateTime);
            return Task.FromResult<byte[]?>(value);
        }
    }

    /// <inheritdoc />
    public Task SetAsync(CacheKey key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        CacheStoreGuards.TimeToLive(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var header = new byte[ExpiryLength];
        BinaryPrimitives.WriteInt64LittleEndian(header, CacheStoreGuards.ExpiresAtMs(now, timeToLive));
        var path = EntryPath(key);
        WriteAtomically(Path.GetDirectoryName(path)!, path, [header, value], now.UtcDateTime, _entriesRoot);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<byte[]?> GetMetadataAsync(string name, CancellationToken cancellationToken)
    {
        CacheStoreGuards.MetadataName(name);
        cancellationToken.ThrowIfCancellationRequested();
        var handle = OpenForRead(MetadataPath(name), "metadata document");
        if (handle is null)
        {
            return Task.FromResult<byte[]?>(null);
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
            {
                throw new CacheEntryUnusableException($"the metadata file '{name}' is too large ({length} bytes)");
            }

            var value = GC.AllocateUninitializedArray<byte>((int)length);
            var read = ReadEntryBytes(handle, value, 0);
            return Task.FromResult<byte[]?>(read == value.Length ? value : value.AsSpan(0, read).ToArray());
        }
    }

    /// <inheritdoc />
    public Task SetMetadataAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        CacheStoreGuards.MetadataName(name);
        cancellationToken.ThrowIfCancellationRequested();
        WriteAtomically(_metaRoot, MetadataPath(name), [value], accessTime: null, _metaRoot);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Walks the folder; counts every entry file (expired ones too, until collected) and its value bytes.</remarks>
    public Task<CacheStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckFolders();
        long entries = 0;
        long bytes = 0;
        long skipped = 0;
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var file in EnumerateFiles(_entriesRoot))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (file.IsTemp || file.IsLock)
                {
                    continue;
                }

                if (!IsEntryFile(file.Path))
                {
                    skipped++;
                    continue;
                }

                entries++;
                bytes += Math.Max(0, file.Length - ExpiryLength);
                signatures.Add(SignatureOf(file.Path));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("cannot be read", _entriesRoot, ex);
        }

        LogSkipped(skipped);
        return Task.FromResult(new CacheStoreStats(entries, bytes, signatures.Count));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes files one by one, then the folders left empty. Only <c>entries/</c> and <c>meta/</c> are
    /// touched, never other files a user keeps under the root. Temp files younger than an hour are left
    /// to their writers (another process may be about to rename one into place).
    /// </remarks>
    public Task<long> ClearAsync(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (signatures is not null)
        {
            foreach (var signature in signatures)
            {
                CacheStoreGuards.Signature(signature);
            }
        }

        CheckFolders();
        try
        {
            return Task.FromResult(Clear(signatures, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("cannot be cleared", _root, ex);
        }
    }

    private long Clear(IReadOnlyCollection<string>? signatures, CancellationToken cancellationToken)
    {
        var nowUtc = _time.GetUtcNow().UtcDateTime;
        long removed = 0;
        if (signatures is null)
        {
            removed += DeleteAll(_entriesRoot, nowUtc, cancellationToken);
            DeleteAll(_metaRoot, nowUtc, cancellationToken);
            RemoveEmptyFolders(_entriesRoot, removeRoot: true);
            RemoveEmptyFolders(_metaRoot, removeRoot: true);
            return removed;
        }

        foreach (var signature in signatures.Distinct(StringComparer.Ordinal))
        {
            var folder = Path.Combine(_entriesRoot, signature);
            removed += DeleteAll(folder, nowUtc, cancellationToken);
            RemoveEmptyFolders(folder, removeRoot: true);
        }

        return removed;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Also deletes temp files older than an hour (left by a writer that died) and files too short to
    /// hold an expiry (counted as expired), then removes empty folders.
    /// </remarks>
    public Task<CacheGcResult> CollectGarbageAsync(long? maxBytes, CancellationToken cancellationToken)
    {
        if (maxBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The size bound must not be negative.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        CheckFolders();
        try
        {
            return Task.FromResult(CollectGarbage(maxBytes, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("cannot be collected", _root, ex);
        }
    }

    private CacheGcResult CollectGarbage(long? maxBytes, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        long skipped = 0;
        long expired = 0;
        long total = 0;
        var live = new List<FileItem>();
        foreach (var file in EnumerateFiles(_entriesRoot))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.IsTemp)
            {
                DeleteIfStale(file, now.UtcDateTime);
                continue;
            }

            if (file.IsLock)
            {
                RemoveLockIfLapsed(file, now);
                continue;
            }

            if (!IsEntryFile(file.Path))
            {
                skipped++;
                continue;
            }

            var expiresAtMs = ReadExpiry(file);
            if (expiresAtMs is null)
            {
                continue;
            }

            if (expiresAtMs <= nowMs)
            {
                if (TryDelete(file.Path))
                {
                    expired++;
                }

                continue;
            }

            live.Add(file);
            total += file.Length - ExpiryLength;
        }

        foreach (var file in EnumerateFiles(_metaRoot))
        {
            if (file.IsTemp)
            {
                DeleteIfStale(file, now.UtcDateTime);
            }
        }

        long evicted = 0;
        var remaining = (long)live.Count;
        if (maxBytes is { } bound && total > bound)
        {
            // Ties (a frozen test clock, a coarse file system) fall back to the path, so the order is stable.
            live.Sort(static (a, b) =>
            {
                var byAccess = a.LastAccessUtc.CompareTo(b.LastAccessUtc);
                return byAccess != 0 ? byAccess : string.CompareOrdinal(a.Path, b.Path);
            });
            foreach (var file in live)
            {
                if (total <= bound)
                {
                    break;
                }

                cancellationToken.ThrowIfCancellationRequested();
                TryDelete(file.Path);
                evicted++;
                remaining--;
                total -= file.Length - ExpiryLength;
            }
        }

        RemoveEmptyFolders(_entriesRoot, removeRoot: false);
        LogSkipped(skipped);
        return new CacheGcResult(expired, evicted, remaining, total);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string EntryPath(CacheKey key) => Path.Combine(_entriesRoot, key.Signature, key.Input[..2], key.Input);

    private string MetadataPath(string name) => Path.Combine(_metaRoot, EscapeFileName(name));

    private string SignatureOf(string entryPath)
    {
        // entries/{signature}/{xx}/{input}
        var relative = Path.GetRelativePath(_entriesRoot, entryPath);
        var separator = relative.IndexOf(Path.DirectorySeparatorChar);
        return separator < 0 ? relative : relative[..separator];
    }

    /// <summary>
    /// Maps a metadata name to a portable file name: ASCII letters, digits, '-', '_' and inner '.' are
    /// kept; every other UTF-8 byte becomes <c>%XX</c>. The mapping is one-to-one and never yields a
    /// name starting with '.', so it cannot collide with a temp file.
    /// </summary>
    internal static string EscapeFileName(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        var builder = new StringBuilder(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var keep = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'_' || (b == (byte)'.' && i > 0);
            if (keep)
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Opens an entry or metadata file; null when there is none. A file or folder in its place that
    /// cannot be opened is that entry's problem (<see cref="CacheEntryUnusableException"/>); a folder
    /// on the way that cannot be searched is the store's (<see cref="CacheStoreException"/>).
    /// </summary>
    private SafeFileHandle? OpenForRead(string path, string what)
    {
        try
        {
            // Share delete and write, so another process can rename over or delete the file while we
            // read it (Windows refuses both otherwise; Unix ignores sharing).
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException ex)
        {
            // Also a file where one of the folders should be: nothing can be stored there, so
            // nothing is. For an entry the write that follows the miss reports it; a metadata
            // read (once per run, and what flow cache explain reads) says so at once.
            if (what != "entry" && FileInTheWay(path) is not null)
            {
                throw Failure("cannot be read", path, ex);
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(path))
            {
                throw new CacheEntryUnusableException($"a folder is in the {what}'s place ({path})", ex);
            }

            if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                throw new CacheEntryUnusableException($"the {what} file cannot be opened: {Describe(path, ex)}", ex);
            }

            throw Failure("cannot be read", path, ex);
        }
    }

    /// <summary>Reads an open entry file; an I/O error here is that file's problem.</summary>
    private static int ReadEntryBytes(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        try
        {
            return ReadFully(handle, buffer, offset);
        }
        catch (IOException ex)
        {
            throw new CacheEntryUnusableException("the file cannot be read: " + ex.Message, ex);
        }
    }

    /// <summary>A store failure for <paramref name="ex"/> met at <paramref name="path"/>, worded for people.</summary>
    private CacheStoreException Failure(string problem, string path, Exception ex)
    {
        if (ex is CacheStoreException already)
        {
            return already;
        }

        if (FileInTheWay(path) is { } blocking)
        {
            return new CacheStoreException(Description, CacheStoreFailure.NotAFolder, problem, $"'{blocking}' is a file, not a folder", innerException: ex);
        }

        var failure = ex is UnauthorizedAccessException ? CacheStoreFailure.AccessDenied : CacheStoreFailure.Failed;
        return new CacheStoreException(Description, failure, problem, Describe(path, ex), innerException: ex);
    }

    private static string Describe(string path, Exception ex) => ex switch
    {
        UnauthorizedAccessException => $"permission denied on '{path}'",
        _ => ex.Message,
    };

    /// <summary>The nearest existing ancestor of <paramref name="path"/> (itself included) when it is a file.</summary>
    private static string? FileInTheWay(string path)
    {
        for (var current = path; !string.IsNullOrEmpty(current); current = Path.GetDirectoryName(current))
        {
            if (File.Exists(current))
            {
                return current;
            }

            if (Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Before a walk (stats, clear, garbage collection): a store whose folders are files, or cannot
    /// be listed, says so instead of looking empty. (The walk itself skips what it may not enter.)
    /// </summary>
    private void CheckFolders()
    {
        foreach (var folder in new[] { _entriesRoot, _metaRoot })
        {
            if (FileInTheWay(folder) is { } blocking)
            {
                throw new CacheStoreException(Description, CacheStoreFailure.NotAFolder, "cannot be used", $"'{blocking}' is a file, not a folder");
            }

            if (!Directory.Exists(folder))
            {
                continue;
            }

            try
            {
                using var entries = Directory.EnumerateFileSystemEntries(folder).GetEnumerator();
                entries.MoveNext();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("cannot be read", folder, ex);
            }
        }
    }

    /// <summary>Whether a file under <c>entries/</c> is at an entry's place: <c>{signature}/{input[0..2]}/{input}</c>.</summary>
    private bool IsEntryFile(string path)
    {
        var parts = Path.GetRelativePath(_entriesRoot, path).Split(Path.DirectorySeparatorChar);
        return parts.Length == 3 && parts[2].Length >= 2 && parts[1].Length == 2 && parts[2].StartsWith(parts[1], StringComparison.Ordinal);
    }

    private void LogSkipped(long skipped)
    {
        if (skipped > 0)
        {
            CacheLog.SkippedFiles(_logger, Description, skipped, _entriesRoot);
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static void StampAccess(SafeFileHandle handle, DateTime accessUtc)
    {
        try
        {
            File.SetLastAccessTimeUtc(handle, accessUtc);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // LRU order is a hint; a file we may read but not stamp (another user's) still serves the hit.
        }
    }

    /// <summary>
    /// Writes a file whole, through a temp file renamed over the target. A folder in the target's
    /// place (inside <paramref name="ownFolder"/> only: the store's own <c>entries/</c> or
    /// <c>meta/</c>) is not an entry and nothing else may live there: it is removed and the write
    /// goes on. Failures are <see cref="CacheStoreException"/>s that name the path.
    /// </summary>
    private void WriteAtomically(string folder, string finalPath, IReadOnlyList<ReadOnlyMemory<byte>> parts, DateTime? accessTime, string ownFolder)
    {
        for (var attempt = 1; ; attempt++)
        {
            string? temp = null;
            try
            {
                // Idempotent and safe when several processes create the same folder at once.
                Directory.CreateDirectory(folder);
                temp = Path.Combine(folder, TempPrefix + Guid.NewGuid().ToString("N"));
                using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    // One gathered write, no user-space buffer to flush. No fsync: a process killed after
                    // this point leaves the data in the OS cache, and after a power loss a torn entry
                    // fails the codec's checksum and is a miss. A cache does not need to pay for durability.
                    RandomAccess.Write(handle, parts, 0);
                    if (accessTime is { } stamp)
                    {
                        // New entries start as most recently used by the store's clock, not the wall clock,
                        // so hits and writes order consistently.
                        StampAccess(handle, stamp);
                    }
                }

                // An entry written again (a refresh, or the same input batch twice in a run) replaces the
                // old file. The old one goes first: renaming over an existing file makes ext4 (auto_da_alloc)
                // write the new file's data to disk before the rename, a synchronous write per entry that
                // the cache does not need. In between, a reader finds no entry: a miss, as after a crash.
                if (File.Exists(finalPath))
                {
                    File.Delete(finalPath);
                }

                File.Move(temp, finalPath, overwrite: true);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 5 && FileInTheWay(folder) is null)
            {
                // Garbage collection in another process removed the folder while it was empty: recreate it.
                DeleteTemp(temp);
            }
            catch (IOException) when (attempt < 5 && temp is not null && Directory.Exists(finalPath) && IsInside(finalPath, ownFolder))
            {
                DeleteTemp(temp);
                try
                {
                    Directory.Delete(finalPath, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                    // Another writer removed it first.
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw Failure("cannot be written", finalPath, ex);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                DeleteTemp(temp);
                throw Failure("cannot be written", folder, ex);
            }
            catch
            {
                DeleteTemp(temp);
                throw;
            }
        }
    }

    private static bool IsInside(string path, string folder) =>
        path.Length > folder.Length + 1
        && path.StartsWith(folder, StringComparison.Ordinal)
        && path[folder.Length] == Path.DirectorySeparatorChar;

    // A temp file left by a failed write: removing it is best effort (garbage collection gets the rest).
    private static void DeleteTemp(string? temp)
    {
        if (temp is null)
        {
            return;
        }

        try
        {
            File.Delete(temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for garbage collection, which removes temp files older than an hour.
        }
    }

    private long? ReadExpiry(FileItem file)
    {
        SafeFileHandle? handle;
        try
        {
            handle = OpenForRead(file.Path, "entry");
        }
        catch (CacheEntryUnusableException)
        {
            return long.MinValue; // it can never be served: collected like an expired entry
        }

        if (handle is null)
        {
            return null;
        }

        using (handle)
        {
            Span<byte> header = stackalloc byte[ExpiryLength];
            int read;
            try
            {
                read = ReadFully(handle, header, 0);
            }
            catch (IOException)
            {
                return long.MinValue;
            }

            // Reading may have moved the access time (relatime updates it once after every explicit
            // stamp): put back the stamp the walk saw, so a collection does not reset the LRU order.
            StampAccess(handle, file.LastAccessUtc);

            // Too short to hold an expiry: nothing can ever be served from it.
            return read < ExpiryLength ? long.MinValue : BinaryPrimitives.ReadInt64LittleEndian(header);
        }
    }

    private void DeleteIfStale(FileItem file, DateTime nowUtc)
    {
        if (nowUtc - file.LastWriteUtc > StaleTempAge)
        {
            TryDelete(file.Path);
        }
    }

    private long DeleteAll(string folder, DateTime nowUtc, CancellationToken cancellationToken)
    {
        long removed = 0;
        foreach (var file in EnumerateFiles(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.IsTemp)
            {
                DeleteIfStale(file, nowUtc);
            }
            else if (file.IsLock)
            {
                // A live lease is another process's business; a lapsed one goes.
                RemoveLockIfLapsed(file, _time.GetUtcNow());
            }
            else if (TryDelete(file.Path))
            {
                removed++;
            }
        }

        return removed;
    }

    private bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Deleting takes write permission on the file's folder: name that folder.
            throw Failure("cannot be written", Path.GetDirectoryName(path) ?? path, ex);
        }
    }

    private static void RemoveEmptyFolders(string root, bool removeRoot)
    {
        List<string> folders;
        try
        {
            folders = Directory.Exists(root) ? [.. Directory.EnumerateDirectories(root, "*", RecursiveAll)] : [];
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        // Deepest first, so a parent is empty by the time its turn comes.
        folders.Sort(static (a, b) => b.Length.CompareTo(a.Length));
        if (removeRoot)
        {
            folders.Add(root);
        }

        foreach (var folder in folders)
        {
            try
            {
                Directory.Delete(folder, recursive: false);
            }
            catch (IOException)
            {
                // Not empty (a writer got there first) or already gone: both fine.
            }
            catch (UnauthorizedAccessException)
            {
                // An empty folder that may not be removed is harmless: it is left.
            }
        }
    }

    private static IEnumerable<FileItem> EnumerateFiles(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        try
        {
            return ToList(new FileSystemEnumerable<FileItem>(
                root,
                static (ref FileSystemEntry entry) => new FileItem(
                    entry.ToFullPath(),
                    entry.FileName.StartsWith(TempPrefix, StringComparison.Ordinal),
                    IsLockName(entry.FileName),
                    entry.Length,
                    entry.LastAccessTimeUtc.UtcDateTime,
                    entry.LastWriteTimeUtc.UtcDateTime),
                RecursiveAll)
            {
                ShouldIncludePredicate = static (ref FileSystemEntry entry) => !entry.IsDirectory,
            });
        }
        catch (DirectoryNotFoundException)
        {
            // The root went away between the check and the walk (a clear in another process).
            return [];
        }
    }

    // Materialized so a walk is finished (and its directory handles closed) before anything is deleted.
    private static List<FileItem> ToList(IEnumerable<FileItem> items) => [.. items];

    private readonly record struct FileItem(string Path, bool IsTemp, bool IsLock, long Length, DateTime LastAccessUtc, DateTime LastWriteUtc);
}
