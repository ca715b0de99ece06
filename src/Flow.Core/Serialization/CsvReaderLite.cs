using System.Text;

namespace Flow.Serialization;

/// <summary>
/// A small RFC 4180 reader: fields separated by a delimiter, optionally in double quotes, with
/// <c>""</c> for a quote and line breaks allowed inside quotes. Rows end at LF or CRLF.
/// </summary>
internal sealed class CsvReaderLite
{
    private readonly TextReader _reader;
    private readonly string _delimiter;
    private readonly StringBuilder _field = new();
    private readonly char[] _buffer = new char[1 << 16];
    private int _position;
    private int _length;
    private long _line = 1;

    public CsvReaderLite(TextReader reader, string delimiter)
    {
        _reader = reader;
        _delimiter = delimiter;
    }

    /// <summary>Line number (1-based) where the last row returned started.</summary>
    public long RowLine { get; private set; }

    /// <summary>Reads the next row, or null at the end of the input.</summary>
    public async ValueTask<List<string>?> ReadRowAsync(CancellationToken cancellationToken)
    {
        if (!await EnsureAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        RowLine = _line;
        var row = new List<string>();
        var quoted = false;
        var wasQuoted = false;
        _field.Clear();
        while (true)
        {
            if (_position == _length && !await EnsureAsync(cancellationToken).ConfigureAwait(false))
            {
                if (quoted)
                {
                    throw new FormatException($"line {RowLine}: a quoted field is not closed before the end of the file");
                }

                row.Add(_field.ToString());
                return row;
            }

            var c = _buffer[_position++];
            if (quoted)
            {
                if (c == '"')
                {
                    if (_position == _length)
                    {
                        await EnsureAsync(cancellationToken).ConfigureAwait(false);
                    }

                    if (_position < _length && _buffer[_position] == '"')
                    {
                        _field.Append('"');
                        _position++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        _line++;
                    }

                    _field.Append(c);
                }

                continue;
            }

            if (c == '"' && _field.Length == 0 && !wasQuoted)
            {
                quoted = true;
                wasQuoted = true;
            }
            else if (c == '\n')
            {
                _line++;
                row.Add(TrimCarriageReturn());
                return row;
            }
            else if (c == _delimiter[0] && await MatchesDelimiterAsync(cancellationToken).ConfigureAwait(false))
            {
                row.Add(_field.ToString());
                _field.Clear();
                wasQuoted = false;
            }
            else
            {
                _field.Append(c);
            }
        }
    }

    private string TrimCarriageReturn()
    {
        if (_field.Length > 0 && _field[^1] == '\r')
        {
            _field.Length--;
        }

        return _field.ToString();
    }

    private async ValueTask<bool> MatchesDelimiterAsync(CancellationToken cancellationToken)
    {
        // The first character matched; multi-character delimiters must match whole.
        for (var i = 1; i < _delimiter.Length; i++)
        {
            if (_position == _length && !await EnsureAsync(cancellationToken).ConfigureAwait(false))
            {
                _field.Append(_delimiter.AsSpan(0, i));
                return false;
            }

            if (_buffer[_position] != _delimiter[i])
            {
                _field.Append(_delimiter.AsSpan(0, i));
                return false;
            }

            _position++;
        }

        return true;
    }

    private async ValueTask<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        if (_position < _length)
        {
            return true;
        }

        _length = await _reader.ReadAsync(_buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        _position = 0;
        return _length > 0;
    }
}
