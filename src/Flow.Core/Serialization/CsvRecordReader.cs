using System.Runtime.CompilerServices;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// Reads CSV into records: the <c>Csv</c> source reads its files through it, and a step that already
/// holds a file's bytes (a lookup table) can parse them from a <see cref="MemoryStream"/>.
/// Problems are <see cref="FormatException"/>s reading <c>data.csv:3: row has 4 cells but the header
/// has 3 columns (a, b, c)</c>: the display name, the physical line, then what is wrong.
/// </summary>
internal static class CsvRecordReader
{
    /// <summary>
    /// The version of the records this reader makes from given bytes (1 was the hand-written reader).
    /// It joins the cache signature of steps that read CSV, so bump it whenever the records produced
    /// from the same file could change (splitting, blank lines, names, type inference).
    /// </summary>
    internal const int BehaviourVersion = 2;

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
    public static async IAsyncEnumerable<Record> ReadAsync(IReadOnlyList<CsvInput> inputs, CsvReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var input in inputs)
        {
            var rows = input.OpenRows(options, out _);
            await using (rows.ConfigureAwait(false))
            {
                while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return Build(rows, options);
                }
            }
        }
    }

    private static Record Build(CsvRowReader rows, CsvReadOptions options)
    {
        var header = rows.Header!;
        var count = rows.FieldCount;
        var record = new Record(Math.Max(count, header.Count));
        for (var i = 0; i < count; i++)
        {
            var text = rows.CellText(i);
            record.Append(header.NameAt(i), options.InferTypes ? NumberText.Infer(text) : text);
        }

        for (var i = count; i < header.Count; i++)
        {
            record.Append(header.NameAt(i), null); // a short row, with RaggedRows: Allow
        }

        return record;
    }
}
