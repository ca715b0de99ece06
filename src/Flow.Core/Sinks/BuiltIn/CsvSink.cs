using System.Text;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sinks.BuiltIn;

/// <summary>
/// Sink <c>Csv</c>: a header row from the first record's fields, then one row per record (nulls as
/// empty cells, nested values as JSON). A record with a field the header lacks fails the batch
/// rather than silently losing the value.
/// </summary>
internal sealed class CsvSink : FileSink
{
    private readonly string _delimiter;
    private StreamWriter? _text;
    private string[]? _columns;

    public CsvSink(NodeParameters parameters)
        : base(parameters)
    {
        _delimiter = parameters.GetString("Delimiter", ",")!;
        _delimiter = _delimiter == "\\t" ? "\t" : _delimiter;
    }

    protected override void OnOpened()
    {
        _text = new StreamWriter(Output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        if (AppendsToExistingData)
        {
            // Appending to a file of an earlier run of a stream: its header gives the columns.
            _columns = ReadHeader(TargetPath, _delimiter);
        }
    }

    private static string[] ReadHeader(string path, string delimiter)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var options = new CsvReadOptions { Delimiter = delimiter, Header = false, InferTypes = false, RaggedRows = CsvRaggedRows.Allow };
        var first = CsvRecordReader.ReadAsync(stream, path, options, CancellationToken.None).ToBlockingEnumerable().FirstOrDefault()
                    ?? throw new InvalidOperationException($"'{path}' holds data but no CSV header to append under");
        return first.Select(f => f.Value as string ?? string.Empty).ToArray();
    }

    protected override async ValueTask WriteBatchAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        // Every record is checked before any is written: a batch that fails writes nothing, so an
        // error sink that gets it holds the only copy of each record.
        var columns = _columns ?? batch.Records[0].Names.ToArray();
        for (var i = 0; i < batch.Count; i++)
        {
            foreach (var name in batch.Records[i].Names)
            {
                if (Array.IndexOf(columns, name) < 0)
                {
                    throw new InvalidOperationException($"record {i} of the batch has field '{name}', which is not a column of the CSV file (its columns come from the first record: {string.Join(", ", columns)})");
                }
            }
        }

        if (_columns is null)
        {
            _columns = columns;
            CsvText.WriteRow(_text!, _columns, _delimiter);
        }

        foreach (var record in batch.Records)
        {
            CsvText.WriteRow(_text!, _columns.Select(column => NumberText.Format(record[column])), _delimiter);
        }

        // Whole rows only reach the file: the text writer is flushed after the batch, not mid-row.
        await _text!.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask FlushFormatAsync(CancellationToken cancellationToken)
    {
        if (_text is not null)
        {
            await _text.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
