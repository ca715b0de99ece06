using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// Reads JSON Lines as records: each line holds exactly one JSON object (a line with anything after
/// the object, or an object spread over lines, is an error); lines of whitespace are skipped; lines end
/// with LF or CRLF, and the last one may have no line end. Values follow <see cref="JsonRecordReader"/>.
/// Errors are <see cref="FormatException"/>s reading <c>file:line:column: what is wrong</c>, with the
/// physical line of the file (blank lines counted) and the column inside it.
/// </summary>
internal sealed class JsonLinesReader
{
    private readonly JsonTextBuffer _text;
    private readonly JsonRecordReader _records;
    private bool _done;

    // Bytes after the window's start already known to hold no line end: a line longer than the window
    // is searched once, not again from its start after every refill.
    private int _searched;

    private JsonLinesReader(JsonTextBuffer text, ILogger logger, bool quiet = false)
    {
        _text = text;
        _records = new JsonRecordReader(text, logger) { Quiet = quiet };
    }

    /// <summary>Reads the records of <paramref name="stream"/>, one JSON object per line; the stream is read, not disposed.</summary>
    /// <param name="stream">The JSON Lines text (UTF-8, with or without a byte order mark).</param>
    /// <param name="displayName">The file's name in messages and warnings, usually its path.</param>
    /// <param name="logger">Where warnings about numbers kept as text go.</param>
    /// <param name="cancellationToken">Checked between reads of the stream.</param>
    /// <exception cref="FormatException">A line is not exactly one JSON object a record can hold exactly.</exception>
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
            : Iterate(stream, displayName, logger, bufferSize, cancellationToken);

        static async IAsyncEnumerable<Record> Iterate(Stream stream, string displayName, ILogger logger, int bufferSize, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            using var text = new JsonTextBuffer(stream, displayName, bufferSize);
            var reader = new JsonLinesReader(text, logger);
            var records = new List<Record>();
            while (!reader._done)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await text.FillAsync(cancellationToken).ConfigureAwait(false);
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

    internal static IEnumerable<Record> Read(Stream stream, string displayName, ILogger logger, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(logger);
        return Iterate(stream, displayName, logger, bufferSize);

        static IEnumerable<Record> Iterate(Stream stream, string displayName, ILogger logger, int bufferSize)
        {
            using var text = new JsonTextBuffer(stream, displayName, bufferSize);
            var reader = new JsonLinesReader(text, logger);
            var records = new List<Record>();
            while (!reader._done)
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

    /// <summary>
    /// Reads a file (a stream that can seek) with its lines parsed on several threads: this loop cuts
    /// the window's whole lines into chunks (a refill's worth, tens of kilobytes), each parsed by a
    /// task of its own, and hands the records on chunk by chunk in file order. A chunk that fails
    /// hands on the records before its bad line, then its error, as the single-threaded reader would.
    /// Numbers kept as text are reported for the whole file, the first where it is.
    /// </summary>
    /// <remarks>
    /// A pipe is read by <c>Iterate</c> instead: its records must reach the run as they arrive, not
    /// when enough chunks are in flight.
    /// </remarks>
    private static async IAsyncEnumerable<Record> IterateInParallel(Stream stream, string displayName, ILogger logger, int bufferSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new JsonTextBuffer(stream, displayName, bufferSize);
        await using var chunks = new ParsedChunks(displayName, logger);
        var line = 1L;
        var searched = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await text.FillAsync(cancellationToken).ConfigureAwait(false);
            var window = text.Unconsumed;
            var take = window.Length;
            if (!text.IsFinal)
            {
                // Whole lines only; a window without a line end refills (growing) and searches on from here.
                var lastNewline = window[searched..].LastIndexOf((byte)'\n');
                if (lastNewline < 0)
                {
                    searched = window.Length;
                    continue;
                }

                take = searched + lastNewline + 1;
            }

            searched = 0;
            if (take > 0)
            {
                var chunk = ArrayPool<byte>.Shared.Rent(take);
                window[..take].CopyTo(chunk);
                var firstLine = line;
                line += window[..take].Count((byte)'\n');
                text.Consume(take);
                chunks.Add(() => ParseChunk(chunk, take, firstLine, displayName, logger));
            }

            while (chunks.Ready(text.IsFinal))
            {
                var parsed = await chunks.NextAsync().ConfigureAwait(false);
                foreach (var record in parsed.Records)
                {
                    yield return record;
                }

                parsed.Error?.Throw();
            }

            if (text.IsFinal)
            {
                break;
            }
        }

        chunks.Complete();
    }

    /// <summary>Parses the whole lines of one chunk of a file, then returns the chunk's array to the pool.</summary>
    private static ParsedChunk ParseChunk(byte[] chunk, int length, long firstLine, string displayName, ILogger logger)
    {
        try
        {
            using var text = new JsonTextBuffer(chunk, length, firstLine, 1, displayName);
            var reader = new JsonLinesReader(text, logger, quiet: true);
            var records = new List<Record>();
            var error = reader.TryParse(records);
            return ParsedChunk.Of(records, reader._records, error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary><see cref="Parse"/>, with its error returned rather than thrown: the records of the lines before it are in <paramref name="output"/>.</summary>
    private ExceptionDispatchInfo? TryParse(List<Record> output) => FormatErrors.Catch((Reader: this, Output: output), static s => s.Reader.Parse(s.Output));

    // Reads every whole line the window holds into output, consuming their bytes.
    private void Parse(List<Record> output)
    {
        while (true)
        {
            var span = _text.Unconsumed;
            var newline = span[_searched..].IndexOf((byte)'\n');
            int length, consumed;
            if (newline >= 0)
            {
                length = _searched + newline;
                consumed = length + 1;
            }
            else if (!_text.IsFinal)
            {
                _searched = span.Length;
                return;
            }
            else if (span.Length == 0)
            {
                _done = true;
                return;
            }
            else
            {
                length = consumed = span.Length;
            }

            _searched = 0;
            if (TryParseLine(span[..length], _text.Start, out var record))
            {
                output.Add(record);
            }

            _text.Consume(consumed);
        }
    }

    private bool TryParseLine(ReadOnlySpan<byte> line, int origin, out Record record)
    {
        record = null!;
        // Nearly every line starts with its '{': only a line that does not can be blank.
        if ((line.IsEmpty || line[0] != (byte)'{') && line.IndexOfAnyExcept(JsonRecordReader.Whitespace) < 0)
        {
            return false;
        }

        _records.Origin = origin;
        var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(JsonRecordReader.ReaderOptions));
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw _text.Error(origin + (int)reader.TokenStartIndex, $"expected an object, found {JsonRecordReader.Describe(reader.TokenType)}; a JSON Lines line holds exactly one object");
            }

            if (!_records.TryRead(ref reader, out record))
            {
                // A final block makes the reader throw first; kept so that a change there cannot lose a line.
                throw EndsInsideObject(origin + line.Length);
            }
        }
        catch (JsonException ex)
        {
            // Each line has a reader of its own: its position is the byte in this line.
            var position = (int)Math.Clamp(ex.BytePositionInLine ?? 0, 0, line.Length);
            if (JsonRecordReader.IsEndOfText(line[position..]))
            {
                // Pointed at the end of the line's text, where the rest of the object should have been.
                var ended = EndsInsideObject(origin + line.TrimEnd(JsonRecordReader.Whitespace).Length);
                throw new FormatException(ended.Message, ex);
            }

            throw _text.Error(origin + position, JsonRecordReader.DescribeSyntaxError(ex, _text, origin + position), ex);
        }

        var after = (int)reader.BytesConsumed;
        var extra = after == line.Length ? -1 : line[after..].IndexOfAnyExcept(JsonRecordReader.Whitespace);
        if (extra >= 0)
        {
            var index = origin + after + extra;
            throw _text.Error(index, $"unexpected content after the object ('{_text.Excerpt(index)}'); a JSON Lines line holds exactly one object");
        }

        return true;
    }

    private FormatException EndsInsideObject(int index) =>
        _text.Error(index, "the line ends before the object is closed; a JSON Lines line holds exactly one whole object");
}
