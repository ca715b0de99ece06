using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// Reads a JSON text holding one array of objects as records, streaming it through a pooled window
/// (the array is never held whole). Strict: the text must be exactly one array of objects, with
/// nothing but whitespace after its closing bracket; values follow <see cref="JsonRecordReader"/>.
/// Errors are <see cref="FormatException"/>s reading <c>file:line:column: what is wrong (item N)</c>,
/// with N the 0-based index of the item in the array.
/// </summary>
/// <remarks>
/// A file (a stream that can seek) is read on several threads (<c>JsonArrayReader.Parallel.cs</c>).
/// Items are read optimistically: an object cut by the end of the window is dropped and read again
/// from its start once the window holds more, so each object is parsed once unless it straddles a refill.
/// </remarks>
internal sealed partial class JsonArrayReader
{
    private readonly JsonTextBuffer _text;
    private readonly JsonRecordReader _records;
    private JsonReaderState _state = new(JsonRecordReader.ReaderOptions);
    private Phase _phase;
    private long _item;
    private bool _inObject;

    private JsonArrayReader(JsonTextBuffer text, ILogger logger, bool quiet = false)
    {
        _text = text;
        _records = new JsonRecordReader(text, logger) { Quiet = quiet };
    }

    private enum Phase
    {
        Start,
        Items,
        After,
        Done,
    }

    /// <summary>Reads the records of <paramref name="stream"/>, a JSON array of objects; the stream is read, not disposed.</summary>
    /// <param name="stream">The JSON text (UTF-8, with or without a byte order mark).</param>
    /// <param name="displayName">The file's name in messages and warnings, usually its path.</param>
    /// <param name="logger">Where warnings about numbers kept as text go.</param>
    /// <param name="cancellationToken">Checked between reads of the stream.</param>
    /// <exception cref="FormatException">The text is not a JSON array of objects a record can hold exactly.</exception>
    public static IAsyncEnumerable<Record> ReadAsync(Stream stream, string displayName, ILogger logger, CancellationToken cancellationToken = default) =>
        ReadAsync(stream, displayName, logger, JsonTextBuffer.DefaultSize, cancellationToken);

    /// <summary>The synchronous twin of <see cref="ReadAsync(Stream, string, ILogger, CancellationToken)"/>, for bytes already in memory.</summary>
    public static IEnumerable<Record> Read(Stream stream, string displayName, ILogger logger) =>
        Read(stream, displayName, logger, JsonTextBuffer.DefaultSize);

    internal static IAsyncEnumerable<Record> ReadAsync(Stream stream, string displayName, ILogger logger, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(logger);
        return stream.CanSeek
            ? IterateInParallel(stream, displayName, logger, bufferSize, cancellationToken)
            : Iterate(stream, displayName, logger, bufferSize, skip: 0, quiet: false, cancellationToken);
    }

    /// <summary>
    /// The one-thread reader. After <paramref name="skip"/> records (a second read, of what the parallel
    /// reader handed on already) it hands them on; <paramref name="quiet"/> when the first number kept
    /// as text was reported already.
    /// </summary>
    private static async IAsyncEnumerable<Record> Iterate(Stream stream, string displayName, ILogger logger, int bufferSize, long skip, bool quiet, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new JsonTextBuffer(stream, displayName, bufferSize);
        var reader = new JsonArrayReader(text, logger, quiet);
        var records = new List<Record>();
        while (reader._phase != Phase.Done)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await text.FillAsync(cancellationToken).ConfigureAwait(false);
            var error = reader.TryParse(records);
            foreach (var record in records)
            {
                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                yield return record;
            }

            error?.Throw();
            records.Clear();
        }

        reader._records.Complete();
    }

    internal static IEnumerable<Record> Read(Stream stream, string displayName, ILogger logger, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(logger);
        return Iterate(stream, displayName, logger, bufferSize);

        static IEnumerable<Record> Iterate(Stream stream, string displayName, ILogger logger, int bufferSize)
        {
            using var text = new JsonTextBuffer(stream, displayName, bufferSize);
            var reader = new JsonArrayReader(text, logger);
            var records = new List<Record>();
            while (reader._phase != Phase.Done)
            {
                text.Fill();
                var error = reader.TryParse(records);
                foreach (var record in records)
                {
                    yield return record;
                }

                error?.Throw();
                records.Clear();
            }

            reader._records.Complete();
        }
    }

    /// <summary><see cref="Parse"/>, with its error returned rather than thrown: the records of the items before it are in <paramref name="output"/>.</summary>
    private ExceptionDispatchInfo? TryParse(List<Record> output) => FormatErrors.Catch((Reader: this, Output: output), static s => s.Reader.Parse(s.Output));

    // Reads every item the window holds whole into output, consuming their bytes.
    private void Parse(List<Record> output)
    {
        if (_phase == Phase.After)
        {
            SkipTrailing();
            return;
        }

        var span = _text.Unconsumed;
        var origin = _text.Start;
        _records.Origin = origin;
        // Where this window's read begins: a fault at its end is read again from there.
        var began = _state;
        var reader = new Utf8JsonReader(span, _text.IsFinal, _state);
        var committed = 0;

        // In the final window, whether only whitespace is left is a comparison with the last content
        // byte, found once: a scan of the rest before every item would make the window quadratic.
        var lastContent = _text.IsFinal ? span.LastIndexOfAnyExcept(JsonRecordReader.Whitespace) : int.MaxValue;
        try
        {
            while (true)
            {
                if (reader.BytesConsumed > lastContent)
                {
                    throw EndedEarly();
                }

                // Between items too: a fault there is in the item that was to come.
                _text.Item = _phase == Phase.Items ? _item : -1;
                if (!reader.Read())
                {
                    break;
                }

                if (_phase == Phase.Start)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw NotAnArray(origin + (int)reader.TokenStartIndex, reader.TokenType);
                    }

                    _phase = Phase.Items;
                    committed = (int)reader.BytesConsumed;
                    _state = reader.CurrentState;
                    continue;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.After;
                    _text.Item = -1;
                    _text.Consume((int)reader.BytesConsumed);
                    SkipTrailing();
                    return;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw _text.Error(origin + (int)reader.TokenStartIndex, $"expected an object, found {JsonRecordReader.Describe(reader.TokenType)}; a Json file holds an array of objects");
                }

                _inObject = true;
                if (!_records.TryRead(ref reader, out var record))
                {
                    break;
                }

                _inObject = false;
                output.Add(record);
                _item++;
                committed = (int)reader.BytesConsumed;
                _state = reader.CurrentState;
            }
        }
        catch (JsonException ex)
        {
            throw SyntaxError(ex, began);
        }

        if (_text.IsFinal)
        {
            // Not reached with a final block (the reader throws first), kept so a change there cannot loop.
            throw EndedEarly();
        }

        // What follows the last whole item is read again, from there, once the window holds more.
        _text.Consume(committed);
        _text.Item = -1;
        _inObject = false;
    }

    private void SkipTrailing()
    {
        var rest = _text.Unconsumed;
        var content = rest.IndexOfAnyExcept(JsonRecordReader.Whitespace);
        if (content >= 0 && rest.Length - content < 32 && !_text.IsFinal)
        {
            // Wait for a few more bytes, so that the message can quote what follows the array.
            _text.Consume(content);
            return;
        }

        if (content >= 0)
        {
            var index = _text.Start + content;
            throw _text.Error(index, $"unexpected content after the closing ']' ('{_text.Excerpt(index)}'); a Json file holds exactly one array");
        }

        _text.Consume(rest.Length);
        if (_text.IsFinal)
        {
            _phase = Phase.Done;
        }
    }

    private FormatException NotAnArray(int index, JsonTokenType token) => _text.Error(
        index,
        token == JsonTokenType.StartObject
            ? "expected a JSON array of objects, found an object (one object per line is the JsonLines source)"
            : $"expected a JSON array of objects, found {JsonRecordReader.Describe(token)}");

    private FormatException EndedEarly()
    {
        if (_phase == Phase.Start)
        {
            return _text.Error(_text.End, _text.End == 0 ? "the file is empty; expected a JSON array of objects" : "the file holds no JSON value; expected a JSON array of objects");
        }

        if (_inObject)
        {
            return _text.Error(_text.End, "the file ends before the object is closed");
        }

        _text.Item = -1;
        return _text.Error(_text.End, "the file ends before the array is closed with ']'");
    }

    private FormatException SyntaxError(JsonException ex, JsonReaderState began)
    {
        // The reader carried its state (and so its line count) from the start of the text.
        var index = _text.IndexOfReaderPosition(ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0);
        if (_text.IsFinal && JsonRecordReader.IsEndOfText(_text.Array.AsSpan(index, _text.End - index)))
        {
            // The error sits in the trailing whitespace: the text ended early, unless that whitespace is
            // itself the fault (a line end inside a string). Read as a window that is not the last one, as
            // from a pipe, the text shows a real fault before its end; an early end only runs out of bytes.
            if (FaultBeforeTheEnd(began) is { } fault)
            {
                var at = _text.IndexOfReaderPosition(fault.LineNumber ?? 0, fault.BytePositionInLine ?? 0);
                return _text.Error(at, JsonRecordReader.DescribeSyntaxError(fault, _text, at), fault);
            }

            var ended = EndedEarly();
            return new FormatException(ended.Message, ex);
        }

        return _text.Error(index, JsonRecordReader.DescribeSyntaxError(ex, _text, index), ex);
    }

    /// <summary>The syntax error the window's text gives read as not the last window (from <paramref name="began"/>, where the failed read began); null when it only runs out of bytes.</summary>
    private JsonException? FaultBeforeTheEnd(JsonReaderState began)
    {
        var reader = new Utf8JsonReader(_text.Unconsumed, isFinalBlock: false, began);
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException fault)
        {
            return fault;
        }
    }
}
