namespace Flow.Worker.Tests;

/// <summary>
/// The writing end of a named pipe, held by the test. Opening a FIFO for writing blocks until a
/// reader opens it, so the open runs on a background thread and <see cref="IsOpen"/> tells whether
/// a reader has come. Disposing closes the pipe (the reader then sees its end) and releases an
/// open that no reader ever met.
/// </summary>
internal sealed class FifoWriter : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _path;
    private readonly Task<FileStream> _open;

    public FifoWriter(string path)
    {
        _path = path;
        _open = Task.Factory.StartNew(
            () => new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    /// <summary>True once a reader opened the pipe (and so the writer's open returned).</summary>
    public bool IsOpen => _open.IsCompletedSuccessfully;

    /// <summary>Waits for a reader (bounded), then writes <paramref name="bytes"/> and flushes; the pipe stays open.</summary>
    public async Task WriteAsync(byte[] bytes)
    {
        var stream = await _open.WaitAsync(Bound);
        await stream.WriteAsync(bytes).AsTask().WaitAsync(Bound);
        await stream.FlushAsync().WaitAsync(Bound);
    }

    /// <summary>Closes the writing end: the reader reads to the end of what was written, then sees the end of the pipe.</summary>
    public async Task CloseAsync()
    {
        var stream = await _open.WaitAsync(Bound);
        await stream.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_open.IsCompleted)
        {
            // No reader came: meet the pending open with one of our own so its thread ends.
            try
            {
                await Task.Run(() => new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0).Dispose()).WaitAsync(Bound);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or UnauthorizedAccessException)
            {
            }
        }

        try
        {
            var stream = await _open.WaitAsync(Bound);
            await stream.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or UnauthorizedAccessException)
        {
            // The reader is gone (a broken pipe on the last flush) or never came: nothing left to close.
        }
    }
}
