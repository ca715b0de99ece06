using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Flow.Caching;

/// <summary>
/// Leases of the file store, for processes on one machine sharing the folder: a lock file next to
/// the entry, <c>{signature}/{input[0..2]}/.lock-{input}</c>.
/// </summary>
/// <remarks>
/// <para>Taking a lease is creating its lock file (<see cref="FileMode.CreateNew"/>: of several
/// processes at once, exactly one succeeds). The file names its owner, <c>{"pid", "host", "holder",
/// "token", "ttlMs"}</c>, and its last-write time is the heartbeat: the holder stamps it with every renewal.
/// A lock whose heartbeat is older than its own time to live has lapsed (its holder died, or hangs),
/// and so has one whose holder is a process of this machine no longer running (<see cref="LeaseHolder"/>):
/// it may be taken over: it is deleted and created anew, and again exactly one creator wins.</para>
/// <para>A lock file is only ever deleted under a second, short-lived file,
/// <c>.lock-{input}~takeover</c>, created exclusively too (by a taker that found it lapsed, by its
/// holder releasing it, by garbage collection): without it, one that found the lock lapsed, or its
/// own, could delete the fresh lock another taker had just created in its place. A takeover file
/// lives for microseconds; one left by a process killed in that instant is removed after a minute.</para>
/// <para>The holder keeps its lock file open and stamps the heartbeat through that handle, so a
/// holder that lost its lock (taken over after a long pause) cannot refresh the new holder's. A
/// renewal or a release first checks that the file at the lock's place still holds its token.</para>
/// <para>Lock files are not entries: stats skip them, and garbage collection and clear leave the
/// live ones and delete the lapsed ones.</para>
/// </remarks>
internal sealed partial class FileCacheStore : ICacheLeaseStore
{
    private const string LockPrefix = ".lock-";
    private const string TakeoverSuffix = "~takeover";
    private const int ReleaseAttempts = 20;
    private static readonly TimeSpan StaleTakeoverAge = TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public Task<ICacheLease?> TryAcquireLeaseAsync(CacheKey key, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        CacheStoreGuards.Key(key);
        CacheStoreGuards.LeaseTime(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        var path = LockPath(key);
        var folder = Path.GetDirectoryName(path)!;
        var token = Guid.NewGuid().ToString("N");
        var owner = OwnerBytes(token, timeToLive);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(folder);
                var now = _time.GetUtcNow();
                var handle = TryCreateLock(path, owner, now);
                if (handle is null && IsLapsed(path, timeToLive, now) && TryRemoveLapsedLock(path, timeToLive, now))
                {
                    handle = TryCreateLock(path, owner, now);
                }

                return Task.FromResult<ICacheLease?>(handle is null ? null : new FileLease(this, key, path, token, timeToLive, handle));
            }
            catch (DirectoryNotFoundException) when (attempt < 5 && FileInTheWay(folder) is null)
            {
                // Garbage collection in another process removed the empty folder meanwhile: make it again.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("cannot be written", folder, ex);
            }
        }
    }

    private string LockPath(CacheKey key) => Path.Combine(_entriesRoot, key.Signature, key.Input[..2], LockPrefix + key.Input);

    private static bool IsLockName(ReadOnlySpan<char> fileName) => fileName.StartsWith(LockPrefix, StringComparison.Ordinal);

    private static byte[] OwnerBytes(string token, TimeSpan timeToLive)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("pid", Environment.ProcessId);
            writer.WriteString("host", Environment.MachineName);
            writer.WriteString("holder", LeaseHolder.Current);
            writer.WriteString("token", token);
            writer.WriteNumber("ttlMs", (long)Math.Ceiling(timeToLive.TotalMilliseconds));
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Creates the lock file with its owner and heartbeat; null when it exists already.</summary>
    private static SafeFileHandle? TryCreateLock(string path, byte[] owner, DateTimeOffset now)
    {
        if (TryCreateNew(path) is not { } handle)
        {
            return null;
        }

        try
        {
            RandomAccess.Write(handle, owner, 0);
            File.SetLastWriteTimeUtc(handle, now.UtcDateTime);
            return handle;
        }
        catch
        {
            handle.Dispose();
            TryDeleteQuietly(path);
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> exclusively; null when it exists. A create that failed because
    /// the file existed, when it is gone by the time we look (its holder deleted it in between), is
    /// tried again rather than taken for a store failure.
    /// </summary>
    private static SafeFileHandle? TryCreateNew(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null;
            }
            catch (IOException ex) when (attempt < 3 && ex is not DirectoryNotFoundException)
            {
                // Existed at the create, gone at the look: once more.
            }
        }
    }

    /// <summary>What a lock file says of its owner; null when it cannot be read (gone, being written).</summary>
    private static (string Token, TimeSpan TimeToLive, string? Holder)? ReadOwner(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length is 0 or > 4096)
            {
                return null;
            }

            var bytes = new byte[length];
            var read = ReadFully(handle, bytes, 0);
            using var document = JsonDocument.Parse(bytes.AsMemory(0, read));
            var root = document.RootElement;
            var holder = root.TryGetProperty("holder", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null;
            return root.TryGetProperty("token", out var token) && token.GetString() is { } text
                   && root.TryGetProperty("ttlMs", out var ttl) && ttl.TryGetInt64(out var ms) && ms > 0
                ? (text, TimeSpan.FromMilliseconds(ms), holder)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the lock at <paramref name="path"/> has lapsed: its heartbeat is older than its own
    /// time to live (<paramref name="fallback"/> when the file does not say, e.g. while it is being
    /// written), or it names a holder that is gone (<see cref="LeaseHolder.IsGone"/>: a process of
    /// this machine no longer running). A lock that is gone counts as lapsed: there is nothing to wait for.
    /// </summary>
    private static bool IsLapsed(string path, TimeSpan fallback, DateTimeOffset now)
    {
        var owner = ReadOwner(path);
        DateTime heartbeat;
        try
        {
            if (!File.Exists(path))
            {
                return true;
            }

            heartbeat = File.GetLastWriteTimeUtc(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return now.UtcDateTime - heartbeat > (owner?.TimeToLive ?? fallback)
               || (owner?.Holder is { } holder && LeaseHolder.IsGone(holder));
    }

    /// <summary>
    /// Deletes the lock at <paramref name="path"/> if it has lapsed, under its takeover file; false
    /// when it had not lapsed after all, or another process is taking it over right now.
    /// </summary>
    private static bool TryRemoveLapsedLock(string path, TimeSpan fallback, DateTimeOffset now) =>
        UnderTakeoverGuard(path, now, () =>
        {
            // Looked at again under the guard: its holder may have renewed it, or another taker replaced it.
            if (!IsLapsed(path, fallback, now))
            {
                return false;
            }

            TryDeleteQuietly(path);
            return true;
        }) == true;

    /// <summary>
    /// Runs <paramref name="action"/> holding the lock's takeover file, <c>.lock-{input}~takeover</c>
    /// (created exclusively, removed after): whoever deletes a lock file (a taker, a releasing holder,
    /// garbage collection) looks at it and deletes it under this guard, so no one deletes a fresh lock
    /// another process created in its place between the look and the delete. Null when another
    /// process holds the guard (for microseconds; one left by a process killed in that instant is
    /// removed once it is older than a minute).
    /// </summary>
    private static bool? UnderTakeoverGuard(string path, DateTimeOffset now, Func<bool> action)
    {
        var takeover = path + TakeoverSuffix;
        if (TryCreateNew(takeover) is not { } guard)
        {
            RemoveIfOlder(takeover, StaleTakeoverAge, now);
            return null;
        }

        try
        {
            using (guard)
            {
                File.SetLastWriteTimeUtc(guard, now.UtcDateTime);
            }

            return action();
        }
        finally
        {
            TryDeleteQuietly(takeover);
        }
    }

    /// <summary>For garbage collection and clear: removes a lock file that lapsed, or a takeover file left by a dead process.</summary>
    private void RemoveLockIfLapsed(FileItem file, DateTimeOffset now)
    {
        if (file.Path.EndsWith(TakeoverSuffix, StringComparison.Ordinal))
        {
            RemoveIfOlder(file.Path, StaleTakeoverAge, now);
        }
        else if (IsLapsed(file.Path, StaleTempAge, now))
        {
            TryRemoveLapsedLock(file.Path, StaleTempAge, now);
        }
    }

    private static void RemoveIfOlder(string path, TimeSpan age, DateTimeOffset now)
    {
        try
        {
            if (File.Exists(path) && now.UtcDateTime - File.GetLastWriteTimeUtc(path) > age)
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next collection.
        }
    }

    private static void TryDeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A lock left behind lapses; a takeover file is removed by the next collection.
        }
    }

    /// <summary>A lease of the file store: its lock file, held open.</summary>
    private sealed class FileLease : ICacheLease
    {
        private readonly FileCacheStore _store;
        private readonly string _path;
        private readonly string _token;
        private readonly SafeFileHandle _handle;
        private readonly Lock _gate = new();
        private TimeSpan _timeToLive;
        private bool _released;

        public FileLease(FileCacheStore store, CacheKey key, string path, string token, TimeSpan timeToLive, SafeFileHandle handle)
        {
            _store = store;
            Key = key;
            _path = path;
            _token = token;
            _timeToLive = timeToLive;
            _handle = handle;
        }

        public CacheKey Key { get; }

        public Task<bool> RenewAsync(TimeSpan timeToLive, CancellationToken cancellationToken)
        {
            CacheStoreGuards.LeaseTime(timeToLive);
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                var now = _store._time.GetUtcNow();

                // A lapsed lock may be taken over at any moment: it counts as lost, as in every store.
                if (_released || !HoldsToken() || IsLapsed(_path, _timeToLive, now))
                {
                    return Task.FromResult(false);
                }

                try
                {
                    if (timeToLive != _timeToLive)
                    {
                        var owner = OwnerBytes(_token, timeToLive);
                        RandomAccess.SetLength(_handle, owner.Length);
                        RandomAccess.Write(_handle, owner, 0);
                        _timeToLive = timeToLive;
                    }

                    // Through the handle: had the lock been taken over just now, this stamps our own, deleted, file.
                    File.SetLastWriteTimeUtc(_handle, now.UtcDateTime);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw _store.Failure("cannot be written", _path, ex);
                }

                return Task.FromResult(true);
            }
        }

        public ValueTask DisposeAsync()
        {
            lock (_gate)
            {
                if (_released)
                {
                    return ValueTask.CompletedTask;
                }

                _released = true;
                try
                {
                    // Only our own lock, looked at and deleted under the takeover guard: after a
                    // takeover the file at this place is another holder's. The guard is busy for
                    // microseconds at most; should it stay busy, the lock is left to lapse.
                    for (var attempt = 0; attempt < ReleaseAttempts; attempt++)
                    {
                        var released = UnderTakeoverGuard(_path, _store._time.GetUtcNow(), () =>
                        {
                            if (HoldsToken())
                            {
                                File.Delete(_path);
                            }

                            return true;
                        });
                        if (released is not null)
                        {
                            break;
                        }

                        Thread.Sleep(1);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw _store.Failure("cannot be written", _path, ex);
                }
                finally
                {
                    _handle.Dispose();
                }

                return ValueTask.CompletedTask;
            }
        }

        private bool HoldsToken() => ReadOwner(_path) is { } owner && owner.Token == _token;
    }
}
