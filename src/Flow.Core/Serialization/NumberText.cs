using System.Globalization;

namespace Flow.Serialization;

/// <summary>Recognizes numbers in text the way JSON does, so "007" or "1.2.3" stay strings.</summary>
internal static class NumberText
{
    /// <summary>
    /// JSON number grammar: no leading zeros, no leading '+', no hex. Zip codes and airport codes
    /// such as "00M" or "007" are therefore never mistaken for numbers.
    /// </summary>
    public static bool IsJsonNumber(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        if (i >= s.Length)
        {
            return false;
        }

        if (s[i] == '0')
        {
            i++;
        }
        else if (char.IsAsciiDigit(s[i]))
        {
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                i++;
            }

            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    /// <summary>A value as text for CSV cells and lookup keys: invariant culture, doubles in round-trip form.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d when double.IsFinite(d) => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Record r => RecordJson.ToJson(r),
        List<object?> list => RecordJson.ToJson(list),
        _ => Format(Batches.RecordValue.Normalize(value)),
    };
}
