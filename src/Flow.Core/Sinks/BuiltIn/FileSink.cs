using Flow.Batches;
using Flow.Parameters;

namespace Flow.Sinks.BuiltIn;

/// <summary>
/// Base of the file sinks: writes to <c>PATH.partial</c> next to the target and moves it onto
/// <c>PATH</c> only when the run completed. A failed or interrupted run leaves the previous output
/// untouched and its own partial output, flushed, in <c>PATH.partial</c>. Records are written whole
/// before anything is flushed, so the partial file never ends in half a line after a graceful stop.
/// </summary>
internal abstract class FileSink : ISink
{
    private const int BufferSize = 1 << 16;
    private Stream? _stream;

    protected FileSink(NodeParameters parameters)
    {
        TargetPath = parameters.GetPath("Path") ?? throw parameters.Error("Path", "is required");
        var directory = Path.GetDirectoryName(TargetPath);
        if (directory is not null && File.Exists(directory))
        {
            throw parameters.Error("Path", $"'{directory}' is a file, not a folder");
        }
    }

    public string TargetPath { get; }

    public string PartialPath => TargetPath + ".partial";

    protected Stream Output => _stream ?? throw new InvalidOperationException("the sink is not open");

    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(TargetPath)!);
        _stream = new FileStream(PartialPath, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = BufferSize,
            Options = FileOptions.Asynchronous,
        });
        OnOpened();
        return ValueTask.CompletedTask;
    }

    public abstract ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken);

    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        await FlushFormatAsync(cancellationToken).ConfigureAwait(false);
        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (Output is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }

        await Output.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        File.Move(PartialPath, TargetPath, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await FlushFormatAsync(CancellationToken.None).ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Called once the output stream exists.</summary>
    protected virtual void OnOpened()
    {
    }

    /// <summary>Pushes whole records buffered by the format writer into <see cref="Output"/>.</summary>
    protected virtual ValueTask FlushFormatAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
