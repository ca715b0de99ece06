namespace Flow.Serialization;

/// <summary>Writes CSV cells: quoted only when they hold the delimiter, a quote or a line break.</summary>
internal static class CsvText
{
    public static void WriteRow(TextWriter writer, IEnumerable<string?> cells, string delimiter)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                writer.Write(delimiter);
            }

            first = false;
            WriteCell(writer, cell ?? string.Empty, delimiter);
        }

        writer.Write('\n');
    }

    private static void WriteCell(TextWriter writer, string cell, string delimiter)
    {
        var needsQuotes = cell.Contains(delimiter, StringComparison.Ordinal)
                          || cell.AsSpan().IndexOfAny('"', '\n', '\r') >= 0
                          || (cell.Length > 0 && (cell[0] == ' ' || cell[^1] == ' '));
        if (!needsQuotes)
        {
            writer.Write(cell);
            return;
        }

        writer.Write('"');
        writer.Write(cell.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }
}
