using System.Globalization;

namespace Flow.Parameters;

/// <summary>
/// The one grammar of whole-number settings (<c>BatchSize</c>, <c>Count</c>, <c>Parallelism</c>...):
/// digits with an optional sign, or any number that is whole, such as <c>1e6</c> or <c>1000.0</c>.
/// Parsing tells a value that is not whole from one that is whole but out of range, so messages
/// can say which.
/// </summary>
internal static class WholeNumber
{
    public enum Result
    {
        /// <summary>A whole number within the bounds.</summary>
        Ok,

        /// <summary>Not a number, or a number with a fraction.</summary>
        NotWhole,

        /// <summary>A whole number outside the bounds.</summary>
        OutOfRange,
    }

    /// <summary>Parses <paramref name="text"/> as a whole number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Result TryParse(string? text, long min, long max, out long value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Result.NotWhole;
        }

        text = text.Trim();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return value >= min && value <= max ? Result.Ok : Result.OutOfRange;
        }

        // Scientific or decimal forms, and integers beyond int64: whole or not, then in range or not.
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number)
            || double.IsNaN(number))
        {
            return Result.NotWhole;
        }

        if (double.IsInfinity(number) || Math.Abs(number) >= 9.2e18)
        {
            return Result.OutOfRange;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var exact)
            || !decimal.IsInteger(exact))
        {
            return Result.NotWhole;
        }

        value = (long)exact;
        return value >= min && value <= max ? Result.Ok : Result.OutOfRange;
    }

    /// <summary>Flow's words for a value that failed <see cref="TryParse"/>.</summary>
    public static string Problem(Result result, string text, long min, long max) => result switch
    {
        Result.OutOfRange when min == long.MinValue => $"'{text}' is too large (at most {Format(max)})",
        Result.OutOfRange when max == long.MaxValue => $"'{text}' is too small (at least {Format(min)})",
        Result.OutOfRange => $"'{text}' is out of range: it must be between {Format(min)} and {Format(max)}",
        _ when min == long.MinValue && max == long.MaxValue => $"'{text}' is not a whole number",
        _ when max == long.MaxValue => $"'{text}' is not a whole number of at least {Format(min)}",
        _ => $"'{text}' is not a whole number between {Format(min)} and {Format(max)}",
    };

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
