namespace Flow.Serialization;

/// <summary>
/// One CSV input of <see cref="CsvRecordReader"/>: a name for messages and a way to open it. Type
/// inference reads a seekable input twice (once to learn its columns' types, once for records),
/// so an input can be opened more than once.
/// </summary>
internal sealed class CsvInput
{
    private readonly Func<Stream> _open;
    private readonly bool _leaveOpen;

    private CsvInput(string displayName, Func<Stream> open, bool leaveOpen)
    {
        DisplayName = displayName;
        _open = open;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The name that messages start with: the file's path, as in <c>data.csv:3: ...</c>.</summary>
    public string DisplayName { get; }

    /// <summary>An input the reader opens, and disposes, each time it reads it (a file).</summary>
    public static CsvInput Open(string displayName, Func<Stream> open)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(open);
        return new CsvInput(displayName, open, leaveOpen: false);
    }

    /// <summary>
    /// The caller's stream, read from its position and left open. A seekable stream is read twice,
    /// returning to that position; another one once.
    /// </summary>
    public static CsvInput FromStream(Stream stream, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        long? start = stream.CanSeek ? stream.Position : null;
        return new CsvInput(displayName, () =>
        {
            if (start is { } position)
            {
                stream.Position = position;
            }

            return stream;
        }, leaveOpen: true);
    }

    /// <summary>Opens the input for one pass over its rows.</summary>
    public CsvRowReader OpenRows(CsvReadOptions options, out bool seekable)
    {
        var stream = _open();
        try
        {
            seekable = stream.CanSeek;
            return CsvRowReader.Create(stream, _leaveOpen, DisplayName, options);
        }
        catch
        {
            if (!_leaveOpen)
            {
                stream.Dispose();
            }

            throw;
        }
    }
}
