using System.Globalization;

namespace Flow.Parameters;

/// <summary>
/// The one grammar of durations, for every duration setting (step parameters, <c>CacheTtl</c>,
/// <c>Flow:Cache:Ttl</c>, <c>Flow:DrainTimeout</c>...): a TimeSpan (<c>00:00:00.001</c>,
/// <c>7.00:00:00</c>) or a number with a unit (<c>250us</c>, <c>1ms</c>, <c>1.5s</c>, <c>2m</c>,
/// <c>1h</c>, <c>7d</c>). Never negative.
/// </summary>
internal static class Duration
{
    private static readonly (string Unit, double Ticks)[] Units =
    {
        // Longest unit first, so "ms" is not read as "m" + garbage.
        ("us", TimeSpan.TicksPerMillisecond / 1000.0),
        ("µs", TimeSpan.TicksPerMillisecond / 1000.0),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
        ("d", TimeSpan.TicksPerDay),
    };

    /// <summary>How the grammar reads, for messages: "'x' is not {Describe}".</summary>
    public const string Describe = "a duration such as 00:00:00.001, 250us, 1ms, 2s, 5m, 1h or 7d";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains(':'))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        foreach (var (unit, ticks) in Units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                var number = text.AsSpan(0, text.Length - unit.Length).Trim();
                if (number.Length > 0 && char.IsAsciiDigit(number[0])
                    && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                    && double.IsFinite(amount) && amount * ticks < TimeSpan.MaxValue.Ticks)
                {
                    value = TimeSpan.FromTicks((long)Math.Round(amount * ticks));
                    return true;
                }

                return false;
            }
        }

        return false;
    }
}
