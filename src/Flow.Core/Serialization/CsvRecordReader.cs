using System.Runtime.CompilerServices;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// Reads CSV into records: the <c>Csv</c> source reads its files through it, and a step that already
/// holds a file's bytes (a lookup table) can parse them from a <see cref="MemoryStream"/>.
/// Problems are <see cref="FormatException"/>s reading <c>data.csv:3: row has 4 cells but the header
/// has 3 columns (a, b, c)</c>: the display name, the physical line, then what is wrong.
/// </summary>
/// <remarks>
/// Types are inferred per column (<see cref="CsvColumnTypes"/>) over all the inputs together, so a
/// column has one type across the files of a glob. Files are finite: a seekable input is read
/// twice, once to learn its columns' types and once for the records, so every problem is found
/// before the first record. An input that can be read only once (a pipe, standard input) has its
/// first <see cref="StreamInferenceRows"/> rows buffered and observed instead, and is then streamed:
/// a later cell that does not fit its column's type stays its text (never dropped or altered).
/// </remarks>
internal static class CsvRecordReader
{
    /// <summary>
    /// The version of the records this reader makes from given bytes (1 was the hand-written reader).
    /// It joins the cache signature of steps that read CSV, so bump it whenever the records produced
    /// from the same file could change (splitting, blank lines, names, type inference).
    /// </summary>
    internal const int BehaviourVersion = 2;

    /// <summary>How many rows of an input that cannot be read twice are buffered to infer its columns' types.</summary>
    internal const int StreamInferenceRows = 10_000;

    /// <summary>
    /// The records of the CSV in <paramref name="stream"/>, from its position; the stream is left open.
    /// <paramref name="displayName"/> (a file path) starts every message.
    /// </summary>
    public static IAsyncEnumerable<Record> ReadAsync(Stream stream, string displayName, CsvReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(options);
        return ReadAsync(new[] { CsvInput.FromStream(stream, displayName) }, options, cancellationToken);
    }

    /// <summary>The records of several CSV inputs, one after the other (the files of a glob).</summary>
    public static IAsyncEnumerable<Record> ReadAsync(IReadOnlyList<CsvInput> inputs, CsvReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        return options.InferTypes ? ReadInferredAsync(inputs, options, cancellationToken) : ReadTextAsync(inputs, options, cancellationToken);
    }

    private static async IAsyncEnumerable<Record> ReadTextAsync(IReadOnlyList<CsvInput> inputs, CsvReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var input in inputs)
        {
            var rows = input.OpenRows(options, out _);
            await using (rows.ConfigureAwait(false))
            {
                while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var header = rows.Header!;
                    var record = NewRecord(rows.FieldCount, header);
                    for (var i = 0; i < rows.FieldCount; i++)
                    {
                        record.Append(header.NameAt(i), rows.CellText(i));
                    }

                    yield return PadShortRow(record, rows.FieldCount, header);
                }
            }
        }
    }

    private static async IAsyncEnumerable<Record> ReadInferredAsync(IReadOnlyList<CsvInput> inputs, CsvReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var types = new CsvColumnTypes(options.TextColumns);
        var held = new HeldInput?[inputs.Count];
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var rows = inputs[i].OpenRows(options, out var seekable);
                if (!seekable)
                {
                    held[i] = await HoldAsync(rows, types, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await using (rows.ConfigureAwait(false))
                {
                    var columns = new ColumnMap(types);
                    while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        for (var c = 0; c < rows.FieldCount; c++)
                        {
                            columns.At(rows.Header!, c).Observe(rows.Cell(c));
                        }
                    }
                }
            }

            types.Freeze();
            for (var i = 0; i < inputs.Count; i++)
            {
                CsvRowReader rows;
                ColumnMap columns;
                if (held[i] is { } input)
                {
                    rows = input.Rows;
                    columns = input.Columns;
                    foreach (var row in input.Buffered)
                    {
                        yield return Build(row, rows.Header!, columns);
                    }

                    input.Buffered.Clear();
                }
                else
                {
                    rows = inputs[i].OpenRows(options, out _);
                    columns = new ColumnMap(types);
                }

                await using (rows.ConfigureAwait(false))
                {
                    held[i] = null;
                    while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return Build(rows, columns);
                    }
                }
            }
        }
        finally
        {
            foreach (var input in held)
            {
                if (input is not null)
                {
                    await input.Rows.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<HeldInput> HoldAsync(CsvRowReader rows, CsvColumnTypes types, CancellationToken cancellationToken)
    {
        var input = new HeldInput(rows, new ColumnMap(types));
        try
        {
            while (input.Buffered.Count < StreamInferenceRows && await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var cells = new string[rows.FieldCount];
                for (var c = 0; c < cells.Length; c++)
                {
                    cells[c] = rows.CellText(c);
                    input.Columns.At(rows.Header!, c).Observe(cells[c]);
                }

                input.Buffered.Add(cells);
            }

            return input;
        }
        catch
        {
            await rows.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static Record Build(CsvRowReader rows, ColumnMap columns)
    {
        var header = rows.Header!;
        var record = NewRecord(rows.FieldCount, header);
        for (var i = 0; i < rows.FieldCount; i++)
        {
            record.Append(header.NameAt(i), columns.At(header, i).Convert(rows.Cell(i)));
        }

        return PadShortRow(record, rows.FieldCount, header);
    }

    private static Record Build(string[] cells, CsvHeader header, ColumnMap columns)
    {
        var record = NewRecord(cells.Length, header);
        for (var i = 0; i < cells.Length; i++)
        {
            record.Append(header.NameAt(i), columns.At(header, i).Convert(cells[i], cells[i]));
        }

        return PadShortRow(record, cells.Length, header);
    }

    private static Record NewRecord(int cells, CsvHeader header) => new(Math.Max(cells, header.Count));

    private static Record PadShortRow(Record record, int cells, CsvHeader header)
    {
        // A short row, read with RaggedRows: Allow: the missing fields are there, and null.
        for (var i = cells; i < header.Count; i++)
        {
            record.Append(header.NameAt(i), null);
        }

        return record;
    }

    /// <summary>An input that can be read once: its reader, kept open, and the rows read to infer types.</summary>
    private sealed record HeldInput(CsvRowReader Rows, ColumnMap Columns)
    {
        public List<string[]> Buffered { get; } = new();
    }

    /// <summary>One input's columns by position, so that a cell finds its column without a lookup by name.</summary>
    private sealed class ColumnMap(CsvColumnTypes types)
    {
        private readonly List<CsvColumnTypes.Column> _columns = new();

        public CsvColumnTypes.Column At(CsvHeader header, int index)
        {
            while (_columns.Count <= index)
            {
                _columns.Add(types.Get(header.NameAt(_columns.Count)));
            }

            return _columns[index];
        }
    }
}
