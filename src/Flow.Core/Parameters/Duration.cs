using System.Globalization;

namespace Flow.Parameters;

/// <summary>
/// Parses durations the way users write them: a TimeSpan (<c>00:00:00.001</c>, <c>7.00:00:00</c>)
/// or a number with a unit (<c>250us</c>, <c>1ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, <c>7d</c>).
/// </summary>
internal static class Duration
{
    private static readonly (string Unit, double Ticks)[] Units =
    {
        ("us", TimeSpan.TicksPerMillisecond / 1000.0),
        ("µs", TimeSpan.TicksPerMillisecond / 1000.0),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
        ("d", TimeSpan.TicksPerDay),
    };

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value))
        {
            return value >= TimeSpan.Zero;
        }

        // Longest unit first, so "ms" is not read as "m" + garbage.
        foreach (var (unit, ticks) in Units.OrderByDescending(u => u.Unit.Length))
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - unit.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && amount >= 0 && double.IsFinite(amount))
            {
                value = TimeSpan.FromTicks((long)Math.Round(amount * ticks));
                return true;
            }
        }

        return false;
    }

    public static string Describe => "a duration such as 00:00:00.001, 250us, 1ms, 2s, 5m, 1h or 7d";
}
