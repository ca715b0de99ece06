using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// A Json file (a stream that can seek) read on several threads: this loop finds where each item of
/// the array begins and ends with a scan of its brackets and strings (it builds nothing and checks
/// little), cuts the window's whole items into a chunk, and the chunks are built into records on
/// several threads (<see cref="ParsedChunks"/>), handed on in file order.
/// </summary>
/// <remarks>
/// <para>The scan trusts nothing it has not checked. At anything it does not expect (an item that is
/// not an object, brackets that do not match, text after the closing bracket, an item it cannot place)
/// or any error building a chunk, the records before the fault are handed on, and the file is read
/// again from its start by the one-thread reader, which skips as many records and goes on from there.
/// So a bad file fails exactly as it fails when read from a pipe: same records first, same message.
/// Such a read is paid for by bad files only.</para>
/// <para>A pipe is read by the one-thread reader from the start: its records must reach the run as
/// they arrive.</para>
/// </remarks>
internal sealed partial class JsonArrayReader
{
    // An item longer than this, or nested deeper, is left to the one-thread reader: the scan keeps
    // whole items in the window, and the one-thread reader judges nesting with its own message.
    private const int MaxScannedItemLength = 16 * 1024 * 1024;
    private const int MaxScannedDepth = BatchSerializer.MaxDepth + 2;

    private static readonly SearchValues<byte> Structure = SearchValues.Create("{}[]\""u8);
    private static readonly SearchValues<byte> StringEnd = SearchValues.Create("\"\\"u8);

    private static async IAsyncEnumerable<Record> IterateInParallel(Stream stream, string displayName, ILogger logger, int bufferSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var handedOn = 0L;
        var fault = false;
        var warned = false;
        var startedAt = stream.Position;
        await using (var chunks = new ParsedChunks(displayName, logger))
        {
            using var text = new JsonTextBuffer(stream, displayName, bufferSize);
            var scan = new ItemScan();
            var items = new List<(int Start, int End)>();
            while (!fault)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await text.FillAsync(cancellationToken).ConfigureAwait(false);
                var outcome = scan.Cut(text, items);
                if (items.Count > 0)
                {
                    chunks.Add(Chunk(text, items, logger));
                }

                var end = outcome is ScanOutcome.Fault or ScanOutcome.Done;
                while (chunks.Ready(end))
                {
                    var parsed = await chunks.NextAsync().ConfigureAwait(false);
                    foreach (var record in parsed.Records)
                    {
                        handedOn++;
                        yield return record;
                    }

                    if (parsed.Error is not null)
                    {
                        fault = true;
                        break;
                    }
                }

                warned = chunks.Unrepresentable > 0;
                if (outcome == ScanOutcome.Fault)
                {
                    fault = true;
                }
                else if (outcome == ScanOutcome.Done && !fault)
                {
                    chunks.Complete();
                    yield break;
                }
            }
        }

        // Something the scan or a chunk could not take: the one-thread reader reads the file again, from
        // where reading started, and goes on after the records handed on (warning as it reads, unless the chunks did).
        stream.Position = startedAt;
        await foreach (var record in Iterate(stream, displayName, logger, bufferSize, skip: handedOn, quiet: warned, cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    /// <summary>Copies the window's bytes from the first item to the end of the last into a pooled chunk, and returns the chunk's parse.</summary>
    private static Func<ParsedChunk> Chunk(JsonTextBuffer text, List<(int Start, int End)> items, ILogger logger)
    {
        var start = items[0].Start;
        var length = items[^1].End - start;
        var chunk = ArrayPool<byte>.Shared.Rent(length);
        text.Array.AsSpan(start, length).CopyTo(chunk);
        var offsets = new (int Start, int End)[items.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = (items[i].Start - start, items[i].End - start);
        }

        items.Clear();
        var displayName = text.DisplayName;
        var (line, column) = text.PositionOf(start);
        return () => ParseChunk(chunk, length, line, column, offsets, displayName, logger);
    }

    /// <summary>
    /// Builds the items of one chunk into records, then returns the chunk's array to the pool. An item
    /// that fails (its syntax, or a value no record holds) ends the chunk there; the one-thread reader
    /// says what is wrong with it.
    /// </summary>
    private static ParsedChunk ParseChunk(byte[] chunk, int length, long line, long column, (int Start, int End)[] items, string displayName, ILogger logger)
    {
        try
        {
            // Positioned where the chunk is in the file: the numbers kept as text are reported from here.
            using var text = new JsonTextBuffer(chunk, length, line, column, displayName);
            var reader = new JsonRecordReader(text, logger) { Quiet = true };
            var records = new List<Record>(items.Length);
            try
            {
                foreach (var (start, end) in items)
                {
                    reader.Origin = start;
                    var json = new Utf8JsonReader(chunk.AsSpan(start, end - start), isFinalBlock: true, new JsonReaderState(JsonRecordReader.ReaderOptions));
                    if (!json.Read() || json.TokenType != JsonTokenType.StartObject || !reader.TryRead(ref json, out var record) || json.BytesConsumed != end - start)
                    {
                        return ParsedChunk.Of(records, reader, ExceptionDispatchInfo.Capture(new FormatException("an item the scan cut is not one whole object")));
                    }

                    records.Add(record);
                }
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                return ParsedChunk.Of(records, reader, ExceptionDispatchInfo.Capture(ex));
            }

            return ParsedChunk.Of(records, reader, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private enum ScanOutcome
    {
        /// <summary>The window's whole items are cut; more of the file is needed.</summary>
        More,

        /// <summary>The array is closed and only whitespace follows it.</summary>
        Done,

        /// <summary>Something the scan does not take: the one-thread reader takes over.</summary>
        Fault,
    }

    /// <summary>Where the scan is between items: before the '[', before the first item, after an item, after a comma.</summary>
    private enum Expect
    {
        Array,
        FirstItem,
        CommaOrEnd,
        Item,
        Trailing,
    }

    /// <summary>The scan's place in the array, kept across refills.</summary>
    private sealed class ItemScan
    {
        private Expect _expect = Expect.Array;

        /// <summary>
        /// Adds the window's whole items to <paramref name="items"/> (window indexes) and consumes the
        /// bytes through the last whole token (an item, a comma, a bracket, whitespace); an item the
        /// window holds only part of is scanned again, whole, after the refill.
        /// </summary>
        public ScanOutcome Cut(JsonTextBuffer text, List<(int Start, int End)> items)
        {
            var origin = text.Start;
            var span = text.Unconsumed;
            var position = 0;
            while (true)
            {
                var next = span[position..].IndexOfAnyExcept(JsonRecordReader.Whitespace);
                if (next < 0)
                {
                    text.Consume(span.Length);
                    return !text.IsFinal ? ScanOutcome.More : _expect == Expect.Trailing ? ScanOutcome.Done : ScanOutcome.Fault;
                }

                position += next;
                var b = span[position];
                switch (_expect)
                {
                    case Expect.Array when b == (byte)'[':
                        _expect = Expect.FirstItem;
                        position++;
                        continue;
                    case Expect.FirstItem or Expect.CommaOrEnd when b == (byte)']':
                        _expect = Expect.Trailing;
                        position++;
                        continue;
                    case Expect.CommaOrEnd when b == (byte)',':
                        _expect = Expect.Item;
                        position++;
                        continue;
                    case Expect.FirstItem or Expect.Item when b == (byte)'{':
                        var end = ItemEnd(span, position);
                        if (end == Incomplete && !text.IsFinal && span.Length - position <= MaxScannedItemLength)
                        {
                            text.Consume(position);
                            return ScanOutcome.More;
                        }

                        if (end < 0)
                        {
                            return ScanOutcome.Fault;
                        }

                        items.Add((origin + position, origin + end));
                        _expect = Expect.CommaOrEnd;
                        position = end;
                        continue;
                    default:
                        return ScanOutcome.Fault;
                }
            }
        }

        private const int Incomplete = -1;
        private const int Unexpected = -2;

        /// <summary>The index after the '}' closing the object that opens at <paramref name="start"/>; <see cref="Incomplete"/> when the window ends first.</summary>
        private static int ItemEnd(ReadOnlySpan<byte> span, int start)
        {
            Span<byte> open = stackalloc byte[MaxScannedDepth];
            var depth = 0;
            var i = start;
            while (true)
            {
                var next = span[i..].IndexOfAny(Structure);
                if (next < 0)
                {
                    return Incomplete;
                }

                i += next;
                var b = span[i];
                switch (b)
                {
                    case (byte)'"':
                        i = StringEndAt(span, i + 1);
                        if (i < 0)
                        {
                            return Incomplete;
                        }

                        break;
                    case (byte)'{' or (byte)'[':
                        if (depth == MaxScannedDepth)
                        {
                            return Unexpected;
                        }

                        open[depth++] = b;
                        break;
                    default:
                        // A closing bracket must close the last one opened, and of its kind.
                        if (depth == 0 || open[depth - 1] != (b == (byte)'}' ? (byte)'{' : (byte)'['))
                        {
                            return Unexpected;
                        }

                        if (--depth == 0)
                        {
                            return i + 1;
                        }

                        break;
                }

                i++;
            }
        }

        /// <summary>The index of the quote closing a string whose text starts at <paramref name="i"/>; -1 when the window ends first.</summary>
        private static int StringEndAt(ReadOnlySpan<byte> span, int i)
        {
            while (true)
            {
                var next = span[i..].IndexOfAny(StringEnd);
                if (next < 0)
                {
                    return -1;
                }

                i += next;
                if (span[i] == (byte)'"')
                {
                    return i;
                }

                // A backslash escapes the byte after it (a quote, another backslash, or the start of \uXXXX).
                i += 2;
                if (i >= span.Length)
                {
                    return -1;
                }
            }
        }
    }
}
