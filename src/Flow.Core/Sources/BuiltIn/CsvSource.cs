using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Source <c>Csv</c>: a header row names the fields (or <c>Header: false</c> names them column1, column2...);
/// numbers and booleans are inferred (JSON number grammar, so "007" stays text) unless <c>InferTypes: false</c>.
/// Strict by default: a repeated or empty header name, a row with another number of cells than the
/// header and malformed quoting fail the read with the file and line (<c>DuplicateHeaders: Rename</c>
/// and <c>RaggedRows: Allow</c> relax the first and the second). Parsing is <see cref="CsvRecordReader"/>'s.
/// </summary>
internal sealed class CsvSource : ISource
{
    private readonly IReadOnlyList<string> _files;
    private readonly CsvReadOptions _options;

    public CsvSource(NodeParameters parameters)
    {
        _files = FileGlob.Resolve(parameters);
        var delimiter = parameters.GetString("Delimiter", ",")!;
        delimiter = delimiter == "\\t" ? "\t" : delimiter;
        if (CsvReadOptions.DelimiterProblem(delimiter) is { } problem)
        {
            throw parameters.Error("Delimiter", problem);
        }

        _options = new CsvReadOptions
        {
            Delimiter = delimiter,
            Header = parameters.GetBoolean("Header", true),
            InferTypes = parameters.GetBoolean("InferTypes", true),
            DuplicateHeaders = Choice(parameters, "DuplicateHeaders", CsvDuplicateHeaders.Error),
            RaggedRows = Choice(parameters, "RaggedRows", CsvRaggedRows.Error),
            TextColumns = parameters.GetList("TextColumns"),
        };
    }

    public IAsyncEnumerable<Record> ReadAsync(CancellationToken cancellationToken) =>
        CsvRecordReader.ReadAsync(_files.Select(file => CsvInput.Open(file, () => FileGlob.OpenRead(file))).ToList(), _options, cancellationToken);

    private static T Choice<T>(NodeParameters parameters, string name, T defaultValue)
        where T : struct, Enum
    {
        var text = parameters.GetString(name);
        if (text is null)
        {
            return defaultValue;
        }

        // By name only: Enum.TryParse would also take "1" or "Error, Rename".
        var match = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw parameters.Error(name, $"'{text}' is not {string.Join(" or ", Enum.GetNames<T>())}");
        var value = Enum.Parse<T>(match);
        return value;
    }
}
