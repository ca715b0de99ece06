using Flow.Batches;
using Flow.Parameters;

namespace Flow.Sinks.BuiltIn;

/// <summary>
/// Base of the file sinks: writes to <c>PATH.partial</c> next to the target and moves it onto
/// <c>PATH</c> only when the run completed. A failed or interrupted run leaves the previous output
/// untouched and its own partial output, flushed, in <c>PATH.partial</c>. Records are written whole
/// before anything is flushed, so the partial file never ends in half a line after a graceful stop.
/// </summary>
internal abstract class FileSink : ISink, IFileOutput
{
    private const int BufferSize = 1 << 16;
    private Stream? _stream;
    private bool _flushed;

    protected FileSink(NodeParameters parameters)
    {
        var written = parameters.GetRequiredString("Path");
        TargetPath = parameters.ResolvePath(written);
        if (written.EndsWith('/') || written.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(TargetPath))
        {
            throw parameters.Error("Path", $"'{written}' is a folder; an output is a file (e.g. '{Path.Combine(written, "out.jsonl")}')");
        }

        for (var folder = Path.GetDirectoryName(TargetPath); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(folder))
            {
                throw parameters.Error("Path", $"'{folder}' is a file, not a folder");
            }
        }
    }

    public string TargetPath { get; }

    public string PartialPath => TargetPath + ".partial";

    protected Stream Output => _stream ?? throw new InvalidOperationException("the sink is not open");

    public bool Appends { get; private set; }

    /// <summary>Whether the target held data before this run appended to it (a CSV header is then written already).</summary>
    protected bool AppendsToExistingData { get; private set; }

    public void AppendToTarget() => Appends = true;

    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(TargetPath)!);
        _stream = new FileStream(Appends ? TargetPath : PartialPath, new FileStreamOptions
        {
            Mode = Appends ? FileMode.Append : FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = BufferSize,
            Options = FileOptions.Asynchronous,
        });
        AppendsToExistingData = Appends && _stream.Length > 0;
        OnOpened();
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        await WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        if (Appends)
        {
            // The batch counts as written (and a stream entry may be acknowledged) once its lines
            // are in the file: a crash after this repeats at most the batches not yet acknowledged.
            await FlushFormatAsync(cancellationToken).ConfigureAwait(false);
            await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one batch in the sink's format; whole records only reach <see cref="Output"/>.</summary>
    protected abstract ValueTask WriteBatchAsync(Batch batch, CancellationToken cancellationToken);

    /// <summary>Writes out what is buffered, forces it to disk and closes <c>PATH.partial</c>: publishing is then only a rename.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (Appends)
        {
            await FlushFormatAsync(cancellationToken).ConfigureAwait(false);
            await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            _flushed = true;
            return;
        }

        await FlushFormatAsync(cancellationToken).ConfigureAwait(false);
        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (Output is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }

        await Output.DisposeAsync().ConfigureAwait(false);
        _stream = null;

        // Publishing is a rename into the target's folder: make sure that folder still takes one,
        // so a folder made read-only since the run began fails here, before any output is replaced.
        var probe = Path.Combine(Path.GetDirectoryName(TargetPath)!, $".{Path.GetFileName(TargetPath)}.publish-check-{Guid.NewGuid():N}");
        File.Move(PartialPath, probe);
        File.Move(probe, PartialPath);
        _flushed = true;
    }

    /// <summary>Moves the flushed <c>PATH.partial</c> onto <c>PATH</c>, replacing the previous output at once.</summary>
    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        if (!_flushed)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!Appends)
        {
            File.Move(PartialPath, TargetPath, overwrite: true);
        }
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
