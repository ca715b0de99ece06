using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Source <c>Csv</c>: a header row names the fields (or <c>Header: false</c> names them column1, column2...);
/// numbers and booleans are inferred (JSON number grammar, so "007" stays text) unless <c>InferTypes: false</c>.
/// </summary>
internal sealed class CsvSource : ISource
{
    private readonly IReadOnlyList<string> _files;
    private readonly string _delimiter;
    private readonly bool _header;
    private readonly bool _inferTypes;

    public CsvSource(NodeParameters parameters)
    {
        _files = FileGlob.Resolve(parameters);
        _delimiter = parameters.GetString("Delimiter", ",")!;
        if (_delimiter.Length == 0)
        {
            throw parameters.Error("Delimiter", "must not be empty");
        }

        _delimiter = _delimiter == "\\t" ? "\t" : _delimiter;
        _header = parameters.GetBoolean("Header", true);
        _inferTypes = parameters.GetBoolean("InferTypes", true);
    }

    public async IAsyncEnumerable<Record> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            await using var stream = FileGlob.OpenRead(file);
            using var text = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var csv = new CsvReaderLite(text, _delimiter);
            List<string>? names = null;
            while (true)
            {
                List<string>? row;
                try
                {
                    row = await csv.ReadRowAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (FormatException ex)
                {
                    throw new FormatException($"{file}: {ex.Message}", ex);
                }

                if (row is null)
                {
                    break;
                }

                if (row.Count == 1 && row[0].Length == 0)
                {
                    continue; // a blank line
                }

                if (_header && names is null)
                {
                    names = row;
                    continue;
                }

                var record = new Record(row.Count);
                for (var i = 0; i < row.Count; i++)
                {
                    var name = names is not null && i < names.Count ? names[i] : "column" + (i + 1).ToString(CultureInfo.InvariantCulture);
                    record.Set(name, _inferTypes ? NumberText.Infer(row[i]) : row[i]);
                }

                yield return record;
            }
        }
    }
}
