using System.Text;
using CsvHelper;

namespace Flow.Serialization;

/// <summary>
/// The data rows of one CSV input, split by CsvHelper (see docs/csv-reader.md), with Flow's rules on
/// top: the header (every column named, no name twice), blank lines (a null cell in a one-column
/// file, nothing in a wider one), ragged rows and malformed quoting are checked here, and every
/// problem is a <see cref="FormatException"/> reading <c>data.csv:3: ...</c>, with the physical line.
/// </summary>
internal sealed class CsvRowReader : IAsyncDisposable
{
    /// <summary>
    /// The largest record buffered, so that an unclosed quote near the start of a large file fails
    /// instead of pulling the whole file into memory.
    /// </summary>
    private const int MaxRecordBytes = 64 << 20;

    private readonly string _displayName;
    private readonly CsvReadOptions _options;
    private readonly char _separator;
    private readonly Queue<long> _leadingBlankLines = new();
    private CsvReader _csv = null!;
    private readonly Queue<(long Line, string Raw)> _malformed = new();
    private bool _held;
    private bool _blank;
    private char[] _chars = new char[256];

    private CsvRowReader(string displayName, CsvReadOptions options, char separator)
    {
        _displayName = displayName;
        _options = options;
        _separator = separator;
    }

    /// <summary>The columns: known once the header (or, without one, the first row) has been read.</summary>
    public CsvHeader? Header { get; private set; }

    /// <summary>The physical line (1-based) where the current row starts.</summary>
    public long Line { get; private set; }

    /// <summary>The number of cells in the current row.</summary>
    public int FieldCount => _blank ? 1 : _csv.FieldCount;

    /// <summary>
    /// Reads <paramref name="stream"/> from its position; disposing the reader disposes the stream
    /// unless <paramref name="leaveOpen"/>.
    /// </summary>
    public static CsvRowReader Create(Stream stream, bool leaveOpen, string displayName, CsvReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (CsvReadOptions.DelimiterProblem(options.Delimiter) is { } problem)
        {
            throw new ArgumentException($"Delimiter {problem}", nameof(options));
        }

        var delimiter = options.Delimiter;
        var single = delimiter.Length == 1 && char.IsAscii(delimiter[0]);
        var reader = new CsvRowReader(displayName, options, single ? delimiter[0] : CsvSeparatorStream.DefaultReplacement);
        var csvOptions = new CsvReaderOptions
        {
            HasHeader = false, // Flow reads the header itself: it skips blank lines before it and checks its names.
            SkipEmptyLines = false, // a blank line is a null cell in a one-column file
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Recover,
            OnMalformedRecord = reader.OnMalformed,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            MissingField = CsvMissingFieldHandling.ReturnEmpty,
            DetectSeparatorHint = false,
            MaxRecordSize = MaxRecordBytes,
            IncludeValuesInExceptions = false, // cells may be personal data; messages go to logs
        };

        if (single)
        {
            reader._csv = CsvReader.Create(stream, csvOptions with { Separator = delimiter[0] }, leaveOpen);
        }
        else
        {
            // CsvHelper splits on one ASCII character; its separator stream puts U+001F in place of a
            // longer (or non-ASCII) delimiter outside quotes, so cells keep every character they hold.
            reader._csv = CsvReader.Create(new CsvSeparatorStream(stream, delimiter, CsvSeparatorStream.DefaultReplacement, leaveOpen), csvOptions, leaveOpen: false);
        }

        return reader;
    }

    /// <summary>Moves to the next data row; false at the end of the input.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        _blank = false;
        if (_leadingBlankLines.Count > 0 && Header is { Count: 1 })
        {
            Line = _leadingBlankLines.Dequeue();
            _blank = true;
            return true;
        }

        if (_held)
        {
            _held = false;
            Line = _csv.LineNumber;
            return true;
        }

        while (await NextRecordAsync(cancellationToken).ConfigureAwait(false))
        {
            var line = _csv.LineNumber;
            var blank = _csv.FieldCount == 1 && _csv.RawRecord.IsEmpty;
            if (Header is null)
            {
                if (blank)
                {
                    // Before the header nothing is data. Without a header, the first row tells whether
                    // these lines were empty cells of a one-column file or padding.
                    if (!_options.Header)
                    {
                        _leadingBlankLines.Enqueue(line);
                    }

                    continue;
                }

                if (_options.Header)
                {
                    Header = CsvHeader.FromRow(CurrentCells(), _options.DuplicateHeaders, _displayName, line);
                    CheckTextColumns(line);
                    continue;
                }

                Header = CsvHeader.Positional(_csv.FieldCount);
                CheckTextColumns(line);
                if (Header.Count == 1 && _leadingBlankLines.Count > 0)
                {
                    _held = true;
                    return await ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                _leadingBlankLines.Clear();
            }
            else if (blank)
            {
                if (Header.Count != 1)
                {
                    continue; // a blank line in a file of several columns holds no data
                }

                Line = line;
                _blank = true;
                return true;
            }

            if (_csv.FieldCount != Header.Count && _options.RaggedRows == CsvRaggedRows.Error)
            {
                var cells = _csv.FieldCount == 1 ? "1 cell" : $"{_csv.FieldCount} cells";
                var expected = Header.FromFile
                    ? $"the header has {Header.Count} {(Header.Count == 1 ? "column" : "columns")} ({Header.Describe()})"
                    : $"the first row has {Header.Count}";
                throw Error(line, $"row has {cells} but {expected}; RaggedRows: Allow reads such rows");
            }

            Line = line;
            return true;
        }

        return false;
    }

    /// <summary>The text of cell <paramref name="index"/> of the current row; valid until the next call of <see cref="Cell"/> or <see cref="ReadAsync"/>.</summary>
    public ReadOnlySpan<char> Cell(int index)
    {
        if (_blank)
        {
            return ReadOnlySpan<char>.Empty;
        }

        var bytes = _csv.GetSpan(index);
        if (bytes.Length > _chars.Length)
        {
            // UTF-8 never takes fewer bytes than UTF-16 takes chars, so the byte count bounds the text.
            _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        }

        return _chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, _chars));
    }

    /// <summary>The text of cell <paramref name="index"/> of the current row as a string.</summary>
    public string CellText(int index) => _blank ? string.Empty : _csv.GetString(index);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _csv.DisposeAsync();

    private async ValueTask<bool> NextRecordAsync(CancellationToken cancellationToken)
    {
        bool more;
        try
        {
            more = await _csv.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException ex)
        {
            throw new FormatException(ex.LineNumber > 0 ? $"{_displayName}:{ex.LineNumber}: {ex.Message}" : $"{_displayName}: {ex.Message}", ex);
        }
        catch (NotSupportedException ex)
        {
            // The separator stream reads UTF-8 (or single-byte) input only.
            throw new FormatException($"{_displayName}: {ex.Message} (a Delimiter of one ASCII character reads any encoding)", ex);
        }

        if (more && _malformed.Count > 0)
        {
            // Matched by line, whether CsvHelper reports a record as it returns it or as it scans ahead.
            var line = _csv.LineNumber;
            while (_malformed.TryPeek(out var next) && next.Line <= line)
            {
                _malformed.Dequeue();
                if (next.Line == line)
                {
                    CheckQuoting(next.Raw, line);
                }
            }
        }

        return more;
    }

    private void OnMalformed(CsvMalformedRecord record)
    {
        // CsvHelper reports a record once, with its first problem. A stray quote inside an unquoted
        // cell (5'10") is text, as it always was in Flow; the record is scanned again for a problem
        // behind it that would change a value.
        _malformed.Enqueue((record.LineNumber, record.RawRecord));
    }

    private void CheckQuoting(string raw, long line)
    {
        var field = 0;
        var lines = 0;
        var i = 0;
        while (true)
        {
            if (i < raw.Length && raw[i] == '"')
            {
                var startLines = lines;
                i++;
                while (true)
                {
                    if (i >= raw.Length)
                    {
                        throw Error(line + startLines, $"the quoted field in {Describe(field)} is not closed before the end of the file");
                    }

                    var c = raw[i];
                    if (c == '"')
                    {
                        if (i + 1 < raw.Length && raw[i + 1] == '"')
                        {
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (c == '\n' || (c == '\r' && (i + 1 >= raw.Length || raw[i + 1] != '\n')))
                    {
                        lines++;
                    }

                    i++;
                }

                if (i < raw.Length && raw[i] != _separator && raw[i] != '\r' && raw[i] != '\n')
                {
                    throw Error(line + lines, $"{Describe(field)} has text after its closing quote; a quote inside a quoted field is written twice (\"\")");
                }
            }
            else
            {
                while (i < raw.Length && raw[i] != _separator && raw[i] != '\r' && raw[i] != '\n')
                {
                    i++;
                }
            }

            if (i >= raw.Length || raw[i] != _separator)
            {
                return;
            }

            field++;
            i++;
        }
    }

    private string Describe(int field) => Header?.DescribeColumn(field) ?? $"column {field + 1}";

    private List<string> CurrentCells()
    {
        var cells = new List<string>(_csv.FieldCount);
        for (var i = 0; i < _csv.FieldCount; i++)
        {
            cells.Add(_csv.GetString(i));
        }

        return cells;
    }

    private void CheckTextColumns(long line)
    {
        foreach (var name in _options.TextColumns)
        {
            if (!Header!.Names.Contains(name, StringComparer.Ordinal))
            {
                throw Error(line, $"TextColumns names '{name}', which is not a column of this file ({Header.Describe()})");
            }
        }
    }

    private FormatException Error(long line, string message) => new($"{_displayName}:{line}: {message}");
}
