using System.Globalization;

namespace Flow.Serialization;

/// <summary>
/// The field names of a CSV file: the header's names, checked (every column named, no name twice,
/// or renamed <c>a_2</c>, <c>a_3</c>), or <c>column1</c>, <c>column2</c>... without a header, and the
/// names of cells past the last column (<c>column{N}</c>) when ragged rows are allowed.
/// </summary>
internal sealed class CsvHeader
{
    private const int NamesInMessages = 12;

    private readonly string[] _names;
    private readonly HashSet<string> _taken;
    private readonly Dictionary<string, int> _nextSuffix = new(StringComparer.Ordinal);
    private readonly List<string> _extra = new();

    private CsvHeader(string[] names, bool fromFile)
    {
        _names = names;
        FromFile = fromFile;
        _taken = new HashSet<string>(names, StringComparer.Ordinal);
    }

    /// <summary>Whether the names came from a header row (rather than <c>column{N}</c>).</summary>
    public bool FromFile { get; }

    /// <summary>The number of columns.</summary>
    public int Count => _names.Length;

    /// <summary>The columns' names, in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// The header row's names. A blank name, or (unless <see cref="CsvDuplicateHeaders.Rename"/>) a
    /// repeated one, is a <see cref="FormatException"/> naming <paramref name="displayName"/> and <paramref name="line"/>.
    /// Names are case-sensitive, as record fields are: <c>A</c> and <c>a</c> are two columns.
    /// </summary>
    public static CsvHeader FromRow(IReadOnlyList<string> cells, CsvDuplicateHeaders duplicates, string displayName, long line)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(cells[i]))
            {
                throw new FormatException($"{displayName}:{line}: column {i + 1} of the header has no name ({Describe(cells)}); name it, or read the file with Header: false");
            }
        }

        var header = new CsvHeader(cells.ToArray(), fromFile: true);
        var names = header._names;
        var firstColumn = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < cells.Count; i++)
        {
            if (firstColumn.TryAdd(cells[i], i))
            {
                continue;
            }

            if (duplicates == CsvDuplicateHeaders.Error)
            {
                throw new FormatException(
                    $"{displayName}:{line}: column {i + 1} repeats the header name '{cells[i]}' of column {firstColumn[cells[i]] + 1}; "
                    + "rename one of them, or set DuplicateHeaders: Rename");
            }

            names[i] = header.Unique(cells[i]);
        }

        return header;
    }

    /// <summary>Names for a file without a header: <c>column1</c> to <c>column{count}</c>.</summary>
    public static CsvHeader Positional(int count)
    {
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = PositionalName(i);
        }

        return new CsvHeader(names, fromFile: false);
    }

    /// <summary>The name of the field at <paramref name="index"/>: a column's, or <c>column{index + 1}</c> past the last column.</summary>
    public string NameAt(int index)
    {
        if (index < _names.Length)
        {
            return _names[index];
        }

        while (_extra.Count <= index - _names.Length)
        {
            // A header may itself hold "column5": an extra cell never takes (and so overwrites) a column's name.
            var name = PositionalName(_names.Length + _extra.Count);
            _extra.Add(_taken.Add(name) ? name : Unique(name));
        }

        return _extra[index - _names.Length];
    }

    /// <summary>The column at <paramref name="index"/> for messages: <c>column 2 (b)</c>.</summary>
    public string DescribeColumn(int index) =>
        index < _names.Length && FromFile ? $"column {index + 1} ({_names[index]})" : $"column {index + 1}";

    /// <summary>The names for messages, shortened when there are many: <c>a, b, c</c>.</summary>
    public string Describe() => Describe(_names);

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count <= NamesInMessages
            ? string.Join(", ", names)
            : string.Join(", ", names.Take(NamesInMessages)) + $", ... {names.Count - NamesInMessages} more";

    private static string PositionalName(int index) => "column" + (index + 1).ToString(CultureInfo.InvariantCulture);

    private string Unique(string name)
    {
        // The first free of name_2, name_3...: a generated name never takes one the header has (a_2 in a,a,a_2).
        var suffix = _nextSuffix.GetValueOrDefault(name, 2);
        string candidate;
        do
        {
            candidate = name + "_" + suffix.ToString(CultureInfo.InvariantCulture);
            suffix++;
        }
        while (!_taken.Add(candidate));

        _nextSuffix[name] = suffix;
        return candidate;
    }
}
