using System.Globalization;

namespace Flow.Parameters;

/// <summary>
/// The one grammar of sizes, for every size setting: a whole number of bytes (<c>1048576</c>) or a
/// number with a unit, <c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c> (powers of 1024; <c>K</c>, <c>M</c>,
/// <c>G</c>, <c>T</c> and <c>B</c> too, any case, a space allowed: <c>1.5 GB</c>).
/// </summary>
internal static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    {
        ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10),
        ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10), ("B", 1),
    };

    /// <summary>How the grammar reads, for messages: "'x' is not {Describe}".</summary>
    public const string Describe = "a size such as 500MB, 2GB, 64KB or a number of bytes";

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        foreach (var (unit, factor) in Units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                var number = text[..^unit.Length].Trim();
                if (number.Length > 0 && char.IsAsciiDigit(number[0])
                    && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                    && amount > 0 && amount * factor < long.MaxValue)
                {
                    bytes = (long)(amount * factor);
                    return bytes > 0;
                }

                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bytes) && bytes > 0;
    }
}
