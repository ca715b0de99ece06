using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Flow.Batches;

namespace Flow.Expressions;

/// <summary>
/// The built-in functions: a registry the parser checks names and arities against (so mistakes
/// are configuration errors, not per-record failures), and the implementations compiled code calls.
/// String functions take any scalar (numbers and booleans through <c>str</c>); numeric functions
/// take numeric strings too. A null or unusable argument gives null (or false for predicates).
/// </summary>
internal static class Functions
{
    private static readonly Dictionary<string, Function> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lower"] = Call(nameof(Lower), 1),
        ["upper"] = Call(nameof(Upper), 1),
        ["trim"] = Call(nameof(Trim), 1),
        ["len"] = Call(nameof(Len), 1),
        ["contains"] = Call(nameof(Contains), 2),
        ["startsWith"] = Call(nameof(StartsWith), 2),
        ["endsWith"] = Call(nameof(EndsWith), 2),
        ["substring"] = Call(nameof(Substring), 2, 3),
        ["replace"] = Call(nameof(Replace), 3),
        ["concat"] = Call(nameof(Concat), 0, int.MaxValue),
        ["abs"] = Call(nameof(Abs), 1),
        ["round"] = Call(nameof(Round), 1, 2),
        ["floor"] = Call(nameof(Floor), 1),
        ["ceil"] = Call(nameof(Ceil), 1),
        ["sqrt"] = Call(nameof(Sqrt), 1),
        ["pow"] = Call(nameof(Pow), 2),
        ["sin"] = Call(nameof(Sin), 1),
        ["cos"] = Call(nameof(Cos), 1),
        ["tan"] = Call(nameof(Tan), 1),
        ["asin"] = Call(nameof(Asin), 1),
        ["acos"] = Call(nameof(Acos), 1),
        ["atan2"] = Call(nameof(Atan2), 2),
        ["radians"] = Call(nameof(Radians), 1),
        ["degrees"] = Call(nameof(Degrees), 1),
        ["min"] = Call(nameof(Min), 1, int.MaxValue),
        ["max"] = Call(nameof(Max), 1, int.MaxValue),
        ["str"] = Call(nameof(Str), 1),
        ["num"] = Call(nameof(Num), 1),
        ["int"] = Call(nameof(Int), 1),
        ["year"] = Call(nameof(Year), 1),
        ["month"] = Call(nameof(Month), 1),
        ["day"] = Call(nameof(Day), 1),

        // These three are built inline rather than called, so they evaluate lazily.
        ["coalesce"] = new(1, int.MaxValue, args => args.Select(Parser.AsObject).Reverse().Aggregate((right, left) => Expression.Coalesce(left, right))),
        ["isNull"] = new(1, 1, args => Expression.ReferenceEqual(Parser.AsObject(args[0]), Expression.Constant(null))),
        ["if"] = new(3, 3, args => Parser.Conditional(args[0], args[1], args[2])),
    };

    private static readonly string[] DateFormats = ["yyyy/MM/dd HH:mm", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd", "yyyy-MM-dd"];

    /// <summary>Builds a call of function <paramref name="name"/>; throws when the name or the arity is wrong.</summary>
    public static Expression Build(string name, IReadOnlyList<Expression> args, int position)
    {
        if (!Registry.TryGetValue(name, out var function))
        {
            // A likely typo gets its fix; otherwise the whole list, so the user sees what exists.
            var hint = Flow.Parameters.Suggestions.Nearest(name, Registry.Keys) is { } nearest
                ? $"did you mean '{nearest}'?"
                : "expected one of: " + string.Join(", ", Registry.Keys.Order(StringComparer.Ordinal));
            throw new ExpressionException($"unknown function '{name}' ({hint})", position);
        }

        if (args.Count < function.Min || args.Count > function.Max)
        {
            var expected = function.Max == int.MaxValue ? $"at least {function.Min}"
                : function.Min == function.Max ? $"{function.Min}"
                : $"{function.Min} to {function.Max}";
            throw new ExpressionException(
                $"function '{name}' expects {expected} argument{((function.Max == int.MaxValue ? function.Min : function.Max) == 1 ? "" : "s")} but got {args.Count}", position);
        }

        return function.Build([.. args]);
    }

    public static object? Lower(object? s) => Text(s)?.ToLowerInvariant();

    public static object? Upper(object? s) => Text(s)?.ToUpperInvariant();

    public static object? Trim(object? s) => Text(s)?.Trim();

    public static object? Len(object? value) => value switch
    {
        string s => (long)s.Length,
        List<object?> list => (long)list.Count,
        Record record => (long)record.Count,
        _ => null,
    };

    /// <summary>Substring of a string, or membership of a list.</summary>
    public static bool Contains(object? value, object? part) => value is List<object?>
        ? Ops.InValue(part, value)
        : Text(value) is { } s && Text(part) is { } p && s.Contains(p, StringComparison.Ordinal);

    public static bool StartsWith(object? value, object? part) =>
        Text(value) is { } s && Text(part) is { } p && s.StartsWith(p, StringComparison.Ordinal);

    public static bool EndsWith(object? value, object? part) =>
        Text(value) is { } s && Text(part) is { } p && s.EndsWith(p, StringComparison.Ordinal);

    /// <summary>Clamped to the string, so a bad index gives a shorter (or empty) string, never an error.</summary>
    public static object? Substring(object? value, object? start, object? length)
    {
        if (Text(value) is not { } s || ToLong(start) is not { } from)
        {
            return null;
        }

        from = Math.Clamp(from, 0, s.Length);
        var count = length is null ? s.Length - from : Math.Clamp(ToLong(length) ?? 0, 0, s.Length - from);
        return s.Substring((int)from, (int)count);
    }

    public static object? Replace(object? value, object? oldValue, object? newValue) =>
        Text(value) is not { } s ? null
        : Text(oldValue) is not { Length: > 0 } old ? s
        : s.Replace(old, Text(newValue) ?? "", StringComparison.Ordinal);

    /// <summary>Nulls count as empty, unlike "+", which gives null.</summary>
    public static object? Concat(object?[] values) => string.Concat(values.Select(Ops.Str));

    public static object? Abs(object? x) => Ops.ToNumber(x) switch
    {
        long.MinValue => (object)-(double)long.MinValue,
        long l => Math.Abs(l),
        double d => Math.Abs(d),
        _ => null,
    };

    /// <summary>Midpoints away from zero (2.5 gives 3), as people expect; negative digits round to tens, hundreds...</summary>
    public static object? Round(object? x, object? digits)
    {
        var number = Ops.ToNumber(x);
        var places = digits is null ? 0 : ToLong(digits);
        if (number is null || places is null)
        {
            return null;
        }

        if (places < 0)
        {
            var scale = Math.Pow(10, Math.Min(-places.Value, 308));
            var rounded = Math.Round(Ops.ToDouble(number)!.Value / scale, MidpointRounding.AwayFromZero) * scale;
            return number is long && Math.Abs(rounded) < 9.2e18 ? (object)(long)rounded : rounded;
        }

        return number is double d ? Math.Round(d, (int)Math.Min(places.Value, 15), MidpointRounding.AwayFromZero) : number;
    }

    public static object? Floor(object? x) => Ops.ToNumber(x) is double d ? Math.Floor(d) : Ops.ToNumber(x);

    public static object? Ceil(object? x) => Ops.ToNumber(x) is double d ? Math.Ceiling(d) : Ops.ToNumber(x);

    public static object? Sqrt(object? x) => Real(x, Math.Sqrt);

    public static object? Pow(object? x, object? y) =>
        Ops.ToDouble(x) is { } b && Ops.ToDouble(y) is { } e ? Finite(Math.Pow(b, e)) : null;

    public static object? Sin(object? x) => Real(x, Math.Sin);

    public static object? Cos(object? x) => Real(x, Math.Cos);

    public static object? Tan(object? x) => Real(x, Math.Tan);

    public static object? Asin(object? x) => Real(x, Math.Asin);

    public static object? Acos(object? x) => Real(x, Math.Acos);

    public static object? Atan2(object? y, object? x) =>
        Ops.ToDouble(y) is { } a && Ops.ToDouble(x) is { } b ? Finite(Math.Atan2(a, b)) : null;

    public static object? Radians(object? degrees) => Real(degrees, d => d * Math.PI / 180);

    public static object? Degrees(object? radians) => Real(radians, r => r * 180 / Math.PI);

    // A real function of one number, as a double; outside its domain (sqrt(-1), asin(2)) or past a
    // double's range the result is null, like any unusable argument, never NaN or Infinity.
    private static object? Real(object? x, Func<double, double> function) =>
        Ops.ToDouble(x) is { } d ? Finite(function(d)) : null;

    private static object? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>Ignores nulls, like SQL's MIN; one list argument means its items.</summary>
    public static object? Min(object?[] values) => Extreme(values, -1);

    public static object? Max(object?[] values) => Extreme(values, 1);

    public static object? Str(object? x) => Ops.Str(x);

    public static object? Num(object? x) => Ops.ToNumber(x);

    public static object? Int(object? x) => ToLong(x);

    public static object? Year(object? s) => Date(s) is { } d ? (long)d.Year : null;

    public static object? Month(object? s) => Date(s) is { } d ? (long)d.Month : null;

    public static object? Day(object? s) => Date(s) is { } d ? (long)d.Day : null;

    private static Function Call(string method, int min, int max = -1)
    {
        var info = typeof(Functions).GetMethod(method, BindingFlags.Public | BindingFlags.Static)!;
        var parameters = info.GetParameters();
        if (parameters is [{ ParameterType.IsArray: true }])
        {
            return new(min, max, args => Expression.Call(info, Expression.NewArrayInit(typeof(object), args.Select(Parser.AsObject))));
        }

        // Missing optional arguments are passed as null.
        return new(min, max < 0 ? min : max, args => Expression.Call(
            info,
            parameters.Select((_, i) => i < args.Length ? Parser.AsObject(args[i]) : Expression.Constant(null))));
    }

    private static string? Text(object? value) => value is string or long or double or bool ? Ops.Str(value) : null;

    /// <summary>Truncates toward zero; null when not a number or out of the long range.</summary>
    private static long? ToLong(object? value) => Ops.ToNumber(value) switch
    {
        long l => l,
        double d when d >= -9223372036854775808.0 && d < 9223372036854775808.0 => (long)Math.Truncate(d),
        _ => null,
    };

    private static object? Extreme(object?[] values, int sign)
    {
        object?[] items = values is [List<object?> list] ? [.. list] : values;
        object? best = null;
        foreach (var item in items)
        {
            if (item is null)
            {
                continue;
            }

            if (best is null)
            {
                best = item;
            }
            else if (Ops.Compare(item, best) is not { } c)
            {
                return null;
            }
            else if (Math.Sign(c) == sign)
            {
                best = item;
            }
        }

        return best;
    }

    private static DateTimeOffset? Date(object? value)
    {
        if (value is not string s)
        {
            return null;
        }

        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces;
        return DateTimeOffset.TryParseExact(s, DateFormats, CultureInfo.InvariantCulture, styles, out var date)
            || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, styles, out date)
            ? date
            : null;
    }

    private sealed record Function(int Min, int Max, Func<Expression[], Expression> Build);
}
