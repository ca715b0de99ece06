using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Flow.Serialization;

/// <summary>
/// The bytes of one JSON text being streamed from a <see cref="Stream"/>: a pooled window that
/// refills from the stream, grows when a line or an object does not fit, skips a UTF-8 byte order
/// mark, and knows the 1-based line and column of every byte still in the window, for messages.
/// </summary>
/// <remarks>
/// Bytes before <see cref="Start"/> are consumed; a refill discards them, counting their lines first,
/// so positions stay exact however many refills came before. Consumed bytes always end on an ASCII
/// byte (a structural character, whitespace or a line end), never inside a UTF-8 sequence.
/// Columns count UTF-16 characters, as editors show them.
/// </remarks>
internal sealed class JsonTextBuffer : IDisposable
{
    /// <summary>Initial window: as large as the file stream's own buffer, so a refill is one read.</summary>
    public const int DefaultSize = 64 * 1024;

    private static readonly byte[] Bom = { 0xEF, 0xBB, 0xBF };

    private readonly Stream _stream;
    private readonly Func<string>? _nameOf;
    private readonly bool _pooled = true;
    private string? _displayName;
    private byte[] _array;
    private int _capacity;
    private bool _bomChecked;

    // Position of _array[0] in the file: its line and how far into that line it is.
    private long _baseLine = 1;
    private long _baseByteColumn;
    private long _baseCharColumn;

    public JsonTextBuffer(Stream stream, string displayName, int initialSize = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialSize, 1);
        _stream = stream;
        _displayName = displayName;
        // The capacity is exact (the pool may hand out more) so that tests can place boundaries;
        // at least a byte order mark and one more byte, so the first fill can decide on the mark.
        _capacity = Math.Max(initialSize, Bom.Length + 1);
        _array = ArrayPool<byte>.Shared.Rent(_capacity);
    }

    /// <summary>
    /// A window over the whole of a text already in memory (a stream entry's field): neither copied nor
    /// taken from the pool, and named only when a message needs the name.
    /// </summary>
    public JsonTextBuffer(byte[] text, Func<string> displayName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayName);
        _stream = Stream.Null;
        _nameOf = displayName;
        _bomChecked = true;
        IsFinal = true;
        _pooled = false;
        _array = text.AsSpan().StartsWith(Bom) ? text[Bom.Length..] : text; // a mark is dropped, not consumed (as in SkipBom); rare, so it may copy
        _capacity = End = _array.Length;
    }

    /// <summary>
    /// A window over the first <paramref name="length"/> bytes of <paramref name="text"/>: a chunk cut
    /// from a file, whose first byte is at <paramref name="line"/> and <paramref name="column"/> (1-based,
    /// in characters) of the file, so positions in messages are the file's. Neither copied nor returned
    /// to the pool here (the caller owns the array), and no byte order mark is looked for (the file's
    /// was dropped before the chunk was cut). For readers that start afresh at each item or line: it
    /// cannot map positions of a reader that carried its state from the file's start.
    /// </summary>
    public JsonTextBuffer(byte[] text, int length, long line, long column, string displayName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)text.Length, nameof(length));
        ArgumentOutOfRangeException.ThrowIfLessThan(line, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(column, 1);
        _stream = Stream.Null;
        _displayName = displayName;
        _bomChecked = true;
        IsFinal = true;
        _pooled = false;
        _array = text;
        _capacity = End = length;
        _baseLine = line;
        _baseCharColumn = column - 1;
    }

    /// <summary>The file's name in messages.</summary>
    public string DisplayName => _displayName ??= _nameOf!();

    /// <summary>The window; valid bytes are <see cref="Start"/> to <see cref="End"/>.</summary>
    public byte[] Array => _array;

    /// <summary>Index of the first byte not yet consumed.</summary>
    public int Start { get; private set; }

    /// <summary>Index after the last byte read.</summary>
    public int End { get; private set; }

    /// <summary>Whether the stream has ended: the bytes in the window are the rest of the file.</summary>
    public bool IsFinal { get; private set; }

    /// <summary>The 0-based index of the array item being read, for messages; -1 outside items.</summary>
    public long Item { get; set; } = -1;

    /// <summary>The bytes read and not yet consumed.</summary>
    public ReadOnlySpan<byte> Unconsumed => _array.AsSpan(Start, End - Start);

    /// <summary>Marks <paramref name="count"/> more bytes as consumed.</summary>
    public void Consume(int count)
    {
        if ((uint)count > (uint)(End - Start))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        Start += count;
    }

    /// <summary>
    /// Discards the consumed bytes and reads more; a window that is full of unconsumed bytes first
    /// doubles. From a file it reads until the window is full or the file ends: filling it whole
    /// before parsing again keeps the re-reading of an object that did not fit to a geometric series.
    /// From a pipe (a FIFO, standard input) it reads once: a pipe holds back what its writer has not
    /// sent yet, and the records that did arrive must reach the run now, not when 64 KB have.
    /// </summary>
    public async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (IsFinal)
        {
            return;
        }

        Compact();
        do
        {
            var read = await _stream.ReadAsync(_array.AsMemory(End, _capacity - End), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                IsFinal = true;
                break;
            }

            End += read;
        }
        while (End < _capacity && _stream.CanSeek);

        SkipBom();
    }

    /// <summary>The synchronous twin of <see cref="FillAsync"/>, for callers that hold the bytes in memory.</summary>
    public void Fill()
    {
        if (IsFinal)
        {
            return;
        }

        Compact();
        do
        {
            var read = _stream.Read(_array, End, _capacity - End);
            if (read == 0)
            {
                IsFinal = true;
                break;
            }

            End += read;
        }
        while (End < _capacity && _stream.CanSeek);

        SkipBom();
    }

    /// <summary>The 1-based line and column of the byte at <paramref name="index"/> in the window.</summary>
    public (long Line, long Column) PositionOf(int index)
    {
        index = Math.Clamp(index, 0, End);
        var before = _array.AsSpan(0, index);
        var lastNewline = before.LastIndexOf((byte)'\n');
        if (lastNewline < 0)
        {
            return (_baseLine, _baseCharColumn + Encoding.UTF8.GetCharCount(before) + 1);
        }

        var line = _baseLine + before.Count((byte)'\n');
        return (line, Encoding.UTF8.GetCharCount(before[(lastNewline + 1)..]) + 1);
    }

    /// <summary><c>file:line:column</c> of the byte at <paramref name="index"/>.</summary>
    public string Location(int index)
    {
        var (line, column) = PositionOf(index);
        return $"{DisplayName}:{line}:{column}";
    }

    /// <summary>The exception for a problem at <paramref name="index"/>: <c>file:line:column: what (item N)</c>.</summary>
    public FormatException Error(int index, string what, Exception? inner = null) =>
        new(Item >= 0 ? $"{Location(index)}: {what} (item {Item})" : $"{Location(index)}: {what}", inner);

    /// <summary>
    /// The window index of a position <see cref="Utf8JsonReader"/> reported (0-based line of the whole
    /// text and byte in that line), for a reader that carried its <see cref="JsonReaderState"/> across refills.
    /// </summary>
    public int IndexOfReaderPosition(long zeroBasedLine, long bytePositionInLine)
    {
        var linesAhead = zeroBasedLine + 1 - _baseLine;
        if (linesAhead <= 0)
        {
            return (int)Math.Clamp(bytePositionInLine - _baseByteColumn, 0, End);
        }

        var lineStart = 0;
        for (var i = 0L; i < linesAhead; i++)
        {
            var next = _array.AsSpan(lineStart, End - lineStart).IndexOf((byte)'\n');
            if (next < 0)
            {
                return End;
            }

            lineStart += next + 1;
        }

        return (int)Math.Clamp(lineStart + bytePositionInLine, 0, End);
    }

    /// <summary>A short quote of the text at <paramref name="index"/>, for messages.</summary>
    public string Excerpt(int index, int maxChars = 24)
    {
        index = Math.Clamp(index, 0, End);
        var rest = _array.AsSpan(index, End - index);
        var lineEnd = rest.IndexOfAny((byte)'\r', (byte)'\n');
        if (lineEnd >= 0)
        {
            rest = rest[..lineEnd];
        }

        var text = Encoding.UTF8.GetString(rest[..Math.Min(rest.Length, maxChars * 4)]).TrimEnd();
        return text.Length > maxChars ? string.Concat(text.AsSpan(0, maxChars), "...") : text;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var array = _array;
        _array = System.Array.Empty<byte>();
        _capacity = 0;
        Start = End = 0;
        if (array.Length > 0 && _pooled)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private void Compact()
    {
        if (Start > 0)
        {
            CountDiscarded(_array.AsSpan(0, Start));
            _array.AsSpan(Start, End - Start).CopyTo(_array);
            End -= Start;
            Start = 0;
        }

        if (End == _capacity)
        {
            var capacity = checked(_capacity * 2);
            var larger = ArrayPool<byte>.Shared.Rent(capacity);
            _array.AsSpan(0, End).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
            _capacity = capacity;
        }
    }

    private void CountDiscarded(ReadOnlySpan<byte> discarded)
    {
        var lastNewline = discarded.LastIndexOf((byte)'\n');
        if (lastNewline < 0)
        {
            _baseByteColumn += discarded.Length;
            _baseCharColumn += Encoding.UTF8.GetCharCount(discarded);
            return;
        }

        var tail = discarded[(lastNewline + 1)..];
        _baseLine += discarded.Count((byte)'\n');
        _baseByteColumn = tail.Length;
        _baseCharColumn = Encoding.UTF8.GetCharCount(tail);
    }

    private void SkipBom()
    {
        if (_bomChecked)
        {
            return;
        }

        _bomChecked = true;
        if (Unconsumed.StartsWith(Bom))
        {
            // Dropped, not consumed: the mark is not text, so it must not count as a column.
            _array.AsSpan(Start + Bom.Length, End - Start - Bom.Length).CopyTo(_array.AsSpan(Start));
            End -= Bom.Length;
        }
    }
}
