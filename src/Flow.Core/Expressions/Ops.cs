using System.Buffers;
using System.Globalization;
using Flow.Batches;
using Flow.Serialization;

namespace Flow.Expressions;

/// <summary>
/// The runtime half of the engine: compiled expressions call these for every dynamically typed
/// operation. They never throw on data: a value of the wrong kind gives null (arithmetic) or
/// false (comparisons), because a bad record must not stop a pipeline.
/// </summary>
internal static class Ops
{
    // Shared boxes, so that boolean results do not allocate per record.
    public static object Box(bool value) => Boxes.Of(value);

    /// <summary>Condition truthiness: only a boolean true is true; null and everything else is false.</summary>
    public static bool Truthy(object? value) => value is true;

    public static object? Field(Record record, string name) => record.TryGetValue(name, out var value) ? value : null;

    public static object? Member(object? target, string name) => target is Record r && r.TryGetValue(name, out var value) ? value : null;

    public static object? Index(object? target, object? key) => (target, key) switch
    {
        (Record r, string name) => r.TryGetValue(name, out var value) ? value : null,
        (List<object?> list, long i) => i >= 0 && i < list.Count ? list[(int)i] : null,
        (string s, long i) => i >= 0 && i < s.Length ? s[(int)i].ToString() : null,
        _ => null,
    };

    public static List<object?> MakeList(object?[] items) => [.. items];

    public static object? Add(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        if (a is string || b is string)
        {
            return string.Concat(Str(a), Str(b));
        }

        return Arithmetic(a, b, '+');
    }

    public static object? Subtract(object? a, object? b) => Arithmetic(a, b, '-');

    public static object? Multiply(object? a, object? b) => Arithmetic(a, b, '*');

    public static object? Divide(object? a, object? b) => (a, b) switch
    {
        (double x, double y) => y != 0 ? x / y : null,
        (long x, long y) => y != 0 ? (double)x / y : null,
        (double x, long y) => y != 0 ? x / y : null,
        (long x, double y) => y != 0 ? x / y : null,
        _ => ToDouble(a) is { } x && ToDouble(b) is { } y && y != 0 ? x / y : null,
    };

    public static object? Modulo(object? a, object? b)
    {
        var x = ToNumber(a);
        var y = ToNumber(b);
        return (x, y) switch
        {
            (long l, long r) => r == 0 ? null : r == -1 ? 0L : (object)(l % r),
            _ when ToDouble(x) is { } l && ToDouble(y) is { } r => r == 0 ? null : (object)(l % r),
            _ => null,
        };
    }

    public static object? Negate(object? a) => ToNumber(a) switch
    {
        long.MinValue => (object)-(double)long.MinValue,
        long l => -l,
        double d => -d,
        _ => null,
    };

    /// <summary>Ordered comparison: null when either side is null or the two cannot be compared.</summary>
    public static int? Compare(object? a, object? b)
    {
        switch (a, b)
        {
            case (long x, long y):
                return x.CompareTo(y);

            // Numbers of both kinds compare directly: the general path below boxes and parses.
            case (double x, double y):
                return double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
            case (double x, long y):
                return double.IsNaN(x) ? null : x.CompareTo(y);
            case (long x, double y):
                return double.IsNaN(y) ? null : ((double)x).CompareTo(y);
            case (string x, string y):
                return Math.Sign(string.CompareOrdinal(x, y));
            case (bool x, bool y):
                return x.CompareTo(y);
            case (null, _) or (_, null):
                return null;
        }

        // Mixed numbers, or a number against a numeric string (CSV fields arrive as strings).
        var l = ToNumber(a);
        var r = ToNumber(b);
        if (l is long li && r is long ri)
        {
            return li.CompareTo(ri);
        }

        return ToDouble(l) is { } ld && ToDouble(r) is { } rd && !double.IsNaN(ld) && !double.IsNaN(rd)
            ? ld.CompareTo(rd)
            : null;
    }

    public static bool Equal(object? a, object? b) =>
        a is string x && b is string y ? string.Equals(x, y, StringComparison.Ordinal) : Compare(a, b) == 0;

    // "!=" is a comparison too: with a null or an incomparable side it is false, like the others.
    public static bool NotEqual(object? a, object? b) => Compare(a, b) is { } c && c != 0;

    public static bool Less(object? a, object? b) => Compare(a, b) < 0;

    public static bool LessOrEqual(object? a, object? b) => Compare(a, b) <= 0;

    public static bool Greater(object? a, object? b) => Compare(a, b) > 0;

    public static bool GreaterOrEqual(object? a, object? b) => Compare(a, b) >= 0;

    public static bool In(object? value, object?[] items)
    {
        foreach (var item in items)
        {
            if (Equal(value, item))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"x in list" where the list is a value (a field), not a literal.</summary>
    public static bool InValue(object? value, object? list)
    {
        if (list is List<object?> items)
        {
            foreach (var item in items)
            {
                if (Equal(value, item))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A long or a double for numbers and numeric strings; null for anything else.</summary>
    public static object? ToNumber(object? value) => value switch
    {
        long or double => value,
        string s => ParseNumber(s),
        _ => null,
    };

    public static double? ToDouble(object? value) => ToNumber(value) switch
    {
        long l => l,
        double d => d,
        _ => null,
    };

    public static object? ParseNumber(string s)
    {
        s = s.Trim();
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        // Finite only: "NaN" and "Infinity" are not numbers a user meant to compare.
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : null;
    }

    /// <summary>Invariant text of a value; doubles round-trip ("R"), records and lists as JSON.</summary>
    public static string? Str(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Record r => r.ToString(),
        _ => Json(value),
    };

    private static string Json(object value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = RecordJson.CreateWriter(buffer))
        {
            RecordJson.WriteValue(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>+, - and * on longs, falling back to double when the long result would overflow.</summary>
    private static object? Arithmetic(object? a, object? b, char op)
    {
        // A double on either side makes a double: no parsing or nullable round trips needed.
        switch (a, b)
        {
            case (double dx, double dy):
                return Apply(dx, dy, op);
            case (double dx, long ly):
                return Apply(dx, ly, op);
            case (long lx, double dy):
                return Apply(lx, dy, op);
        }

        var x = ToNumber(a);
        var y = ToNumber(b);
        if (x is long l && y is long r)
        {
            // Overflow checks without exceptions: they would be costly on a hot path.
            switch (op)
            {
                case '+':
                    var sum = l + r;
                    return ((l ^ sum) & (r ^ sum)) < 0 ? (object)((double)l + r) : sum;
                case '-':
                    var difference = l - r;
                    return ((l ^ r) & (l ^ difference)) < 0 ? (object)((double)l - r) : difference;
                default:
                    var high = Math.BigMul(l, r, out long low);
                    return high != low >> 63 ? (object)((double)l * r) : low;
            }
        }

        return ToDouble(x) is { } ld && ToDouble(y) is { } rd ? Apply(ld, rd, op) : null;
    }

    private static object Apply(double x, double y, char op) => op switch
    {
        '+' => x + y,
        '-' => x - y,
        _ => x * y,
    };
}
