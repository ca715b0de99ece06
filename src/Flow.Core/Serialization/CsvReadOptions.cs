using System.Text;

namespace Flow.Serialization;

/// <summary>How <see cref="CsvRecordReader"/> reads CSV: the parameters of the <c>Csv</c> source.</summary>
internal sealed record CsvReadOptions
{
    /// <summary>The most bytes a delimiter may take in UTF-8 (CsvHelper's separator stream limit).</summary>
    public const int MaxDelimiterBytes = 16;

    /// <summary>The field delimiter: one character (default <c>,</c>) or a short string such as <c>||</c>.</summary>
    public string Delimiter { get; init; } = ",";

    /// <summary>Whether the first row names the fields (default true); without it fields are <c>column1</c>, <c>column2</c>...</summary>
    public bool Header { get; init; } = true;

    /// <summary>Whether columns of numbers or booleans become numbers or booleans (default true); otherwise every cell is its text.</summary>
    public bool InferTypes { get; init; } = true;

    /// <summary>What a repeated header name does (default <see cref="CsvDuplicateHeaders.Error"/>).</summary>
    public CsvDuplicateHeaders DuplicateHeaders { get; init; } = CsvDuplicateHeaders.Error;

    /// <summary>What a row with another number of cells than the header does (default <see cref="CsvRaggedRows.Error"/>).</summary>
    public CsvRaggedRows RaggedRows { get; init; } = CsvRaggedRows.Error;

    /// <summary>Columns that stay text whatever they hold (zip codes, ids); each must be a column of every file read.</summary>
    public IReadOnlyList<string> TextColumns { get; init; } = Array.Empty<string>();

    /// <summary>Why <paramref name="delimiter"/> cannot split CSV, or null when it can.</summary>
    public static string? DelimiterProblem(string delimiter)
    {
        if (delimiter.Length == 0)
        {
            return "must not be empty";
        }

        if (delimiter.AsSpan().IndexOfAny('"', '\r', '\n') >= 0 || delimiter.Contains(CsvHelper.CsvSeparatorStream.DefaultReplacement, StringComparison.Ordinal))
        {
            return $"'{delimiter}' cannot split CSV: it must be one character (\\t means tab), or a few that hold no quote, line break or U+001F";
        }

        if (Encoding.UTF8.GetByteCount(delimiter) > MaxDelimiterBytes)
        {
            return $"'{delimiter}' is too long: it must be one character (\\t means tab), or at most {MaxDelimiterBytes} bytes";
        }

        return null;
    }
}
