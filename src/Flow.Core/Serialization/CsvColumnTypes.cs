using System.Globalization;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// Flow's type inference for CSV, per column, so that a code column is never half numbers: a column
/// is numeric when every non-empty cell in it is a number, boolean when every non-empty cell is
/// <c>true</c> or <c>false</c> (any case), and text otherwise. Empty cells are null in every column.
/// </summary>
/// <remarks>
/// A cell is a number when it fits the JSON number grammar (<see cref="NumberText.IsJsonNumber"/>:
/// no leading zeros or '+', so <c>007</c> and <c>00M</c> are text) and its value is representable:
/// an integer literal that fits a long is a long, any other number a double (<c>1e5</c> is 100000.0).
/// An integer literal beyond a long, or a number beyond a double's range (<c>1e400</c>, or a non-zero
/// <c>1e-400</c> that would read 0), would lose digits, so it makes its column text.
/// Columns are known by name, so the files of one source share their columns' types. Cells are
/// observed first (<see cref="Column.Observe"/>), then the types are frozen and cells converted
/// (<see cref="Column.Convert"/>); a cell that does not fit its frozen column stays its text.
/// </remarks>
internal sealed class CsvColumnTypes
{
    private readonly Dictionary<string, Column> _columns = new(StringComparer.Ordinal);
    private readonly HashSet<string> _text;
    private bool _frozen;

    /// <param name="textColumns">Columns that stay text whatever they hold.</param>
    public CsvColumnTypes(IEnumerable<string> textColumns)
    {
        _text = new HashSet<string>(textColumns, StringComparer.Ordinal);
    }

    /// <summary>What a cell is, on its own.</summary>
    private enum CellKind
    {
        Empty,
        Integer,
        Double,
        True,
        False,
        Text,
    }

    /// <summary>What a column is, once frozen.</summary>
    private enum ColumnKind
    {
        /// <summary>No non-empty cell was observed: any cell that comes later stays text.</summary>
        Unknown,
        Number,
        Boolean,
        Text,
    }

    /// <summary>The column named <paramref name="name"/>; one created after <see cref="Freeze"/> holds text.</summary>
    public Column Get(string name)
    {
        if (!_columns.TryGetValue(name, out var column))
        {
            column = new Column(_text.Contains(name));
            if (_frozen)
            {
                column.Freeze();
            }

            _columns.Add(name, column);
        }

        return column;
    }

    /// <summary>Ends observation: every column takes the type its cells allow.</summary>
    public void Freeze()
    {
        _frozen = true;
        foreach (var column in _columns.Values)
        {
            column.Freeze();
        }
    }

    private static CellKind Classify(ReadOnlySpan<char> cell, out long integer, out double number)
    {
        integer = 0;
        number = 0;
        if (cell.IsEmpty)
        {
            return CellKind.Empty;
        }

        if (NumberText.IsJsonNumber(cell))
        {
            if (cell.IndexOfAny('.', 'e', 'E') < 0)
            {
                return long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer)
                    ? CellKind.Integer
                    : CellKind.Text;
            }

            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
            {
                return CellKind.Text;
            }

            // 1e-400 reads as 0: a value lost like 1e400's, unless the digits themselves are all zero.
            if (number == 0)
            {
                var exponent = cell.IndexOfAny('e', 'E');
                var digits = exponent < 0 ? cell : cell[..exponent];
                if (digits.IndexOfAnyInRange('1', '9') >= 0)
                {
                    return CellKind.Text;
                }
            }

            return CellKind.Double;
        }

        if (cell.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return CellKind.True;
        }

        return cell.Equals("false", StringComparison.OrdinalIgnoreCase) ? CellKind.False : CellKind.Text;
    }

    /// <summary>One column: what its cells were, then what it is.</summary>
    internal sealed class Column
    {
        private readonly bool _forcedText;
        private bool _sawNumber;
        private bool _sawBoolean;
        private bool _sawText;
        private ColumnKind _kind;
        private bool _frozen;

        internal Column(bool forcedText)
        {
            _forcedText = forcedText;
        }

        /// <summary>Counts one cell towards the column's type.</summary>
        public void Observe(ReadOnlySpan<char> cell)
        {
            if (_forcedText || _sawText)
            {
                return;
            }

            switch (Classify(cell, out _, out _))
            {
                case CellKind.Integer or CellKind.Double:
                    _sawNumber = true;
                    break;
                case CellKind.True or CellKind.False:
                    _sawBoolean = true;
                    break;
                case CellKind.Text:
                    _sawText = true;
                    break;
            }
        }

        /// <summary>
        /// The value of <paramref name="cell"/> in this column: null when empty, a number or boolean
        /// when the column is one and the cell fits, its text otherwise (<paramref name="text"/> when
        /// the caller has the string already).
        /// </summary>
        public object? Convert(ReadOnlySpan<char> cell, string? text = null)
        {
            if (cell.IsEmpty)
            {
                return null;
            }

            if (_kind is ColumnKind.Number or ColumnKind.Boolean)
            {
                var kind = Classify(cell, out var integer, out var number);
                if (_kind == ColumnKind.Number && kind == CellKind.Integer)
                {
                    return integer;
                }

                if (_kind == ColumnKind.Number && kind == CellKind.Double)
                {
                    return number;
                }

                if (_kind == ColumnKind.Boolean && kind is (CellKind.True or CellKind.False))
                {
                    return Boxes.Of(kind == CellKind.True);
                }
            }

            return text ?? new string(cell);
        }

        internal void Freeze()
        {
            if (_frozen)
            {
                return;
            }

            _frozen = true;
            _kind = _forcedText || _sawText || (_sawNumber && _sawBoolean) ? ColumnKind.Text
                : _sawNumber ? ColumnKind.Number
                : _sawBoolean ? ColumnKind.Boolean
                : ColumnKind.Unknown;
        }
    }
}
