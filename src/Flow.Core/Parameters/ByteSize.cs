using System.Globalization;

namespace Flow.Hosting.Caching;

/// <summary>Parses sizes such as <c>2GB</c>, <c>500MB</c>, <c>64KB</c> or a plain number of bytes (units are powers of 1024).</summary>
internal static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    {
        ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10),
        ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10), ("B", 1),
    };

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
                if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && amount * factor < long.MaxValue)
                {
                    bytes = (long)(amount * factor);
                    return true;
                }

                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bytes) && bytes > 0;
    }
}
