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

    /// <summary>
    /// Infers a CSV cell's value: a JSON-grammar number becomes a long or double, true/false a bool,
    /// an empty cell null; anything else stays the string it was.
    /// </summary>
    public static object? Infer(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (IsJsonNumber(text))
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return l;
            }

            // Codes such as the airports "0E0" and "0E8" fit the grammar with an exponent: a cell in
            // exponent form is a number only when that is how the number itself is written ("1E-07").
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                && (text.AsSpan().IndexOfAny('e', 'E') < 0 || Format(d) == text))
            {
                return d;
            }
        }

        if (text is "true" or "True" or "TRUE")
        {
            return true;
        }

        if (text is "false" or "False" or "FALSE")
        {
            return false;
        }

        return text;
    }

    /// <summary>A value as text for CSV cells and lookup keys: invariant culture, doubles in round-trip form.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d when double.IsFinite(d) => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Batches.Record r => RecordJson.ToJson(r),
        List<object?> list => RecordJson.ToJson(list),
        _ => Format(Batches.RecordValue.Normalize(value)),
    };
}
