using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flow.Batches;

/// <summary>
/// The one value model of records, shared by every writer (JSON Lines, CSV, the cache's binary
/// format) so that a value reads back the same whichever way it travelled. A record holds only:
/// <see langword="null"/>, <see cref="bool"/>, <see cref="long"/>, a finite <see cref="double"/>,
/// <see cref="string"/>, a nested <see cref="Record"/> and a <see cref="List{T}"/> of such values.
/// </summary>
/// <remarks>
/// Everything else is converted once, by <see cref="Normalize"/>, and never silently dropped: a
/// value with no exact place in the model (a <see cref="ulong"/> above <see cref="long.MaxValue"/>,
/// <c>NaN</c>, infinity, a decimal a double cannot hold) is kept as its invariant text.
/// </remarks>
internal static class RecordValue
{
    /// <summary>The text a non-finite double is kept as: JSON has no NaN or infinity, and null would lose it.</summary>
    public static string NonFiniteText(double value) =>
        double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    /// <summary>Whether <paramref name="value"/> is already one of the model's kinds (lists and records checked shallowly).</summary>
    public static bool IsNormal(object? value) => value switch
    {
        null or string or long or bool or Record or List<object?> => true,
        double d => double.IsFinite(d),
        _ => false,
    };

    /// <summary>Turns a CLR value into one of the model's kinds; list items are normalized in place.</summary>
    public static object? Normalize(object? value)
    {
        switch (value)
        {
            case null or string or long or bool or Record:
                return value;
            case double d:
                return double.IsFinite(d) ? d : NonFiniteText(d);
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (!IsNormal(list[i]) || list[i] is List<object?>)
                    {
                        list[i] = Normalize(list[i]);
                    }
                }

                return list;
            case int i:
                return (long)i;
            case short s:
                return (long)s;
            case byte b:
                return (long)b;
            case sbyte sb:
                return (long)sb;
            case ushort us:
                return (long)us;
            case uint ui:
                return (long)ui;
            case ulong ul:
                return ul <= long.MaxValue ? (long)ul : ul.ToString(CultureInfo.InvariantCulture);
            case nint n:
                return (long)n;
            case nuint nu:
                return nu <= long.MaxValue ? (long)nu : nu.ToString(CultureInfo.InvariantCulture);
            case Int128 i128:
                return i128 >= long.MinValue && i128 <= long.MaxValue ? (long)i128 : i128.ToString(CultureInfo.InvariantCulture);
            case UInt128 u128:
                return u128 <= long.MaxValue ? (long)u128 : u128.ToString(CultureInfo.InvariantCulture);
            case BigInteger big:
                return big >= long.MinValue && big <= long.MaxValue ? (long)big : big.ToString(CultureInfo.InvariantCulture);
            case float f:
                // The float's shortest round-trip text, so 1.1f is 1.1 and not 1.100000023841858.
                return float.IsFinite(f) ? double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : NonFiniteText(f);
            case Half h:
                return Half.IsFinite(h) ? double.Parse(h.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : NonFiniteText((double)h);
            case decimal m:
                return FromDecimal(m);
            case char c:
                return c.ToString();
            case Guid g:
                return g.ToString();
            case DateTime dt:
                return dt.ToString("O", CultureInfo.InvariantCulture);
            case DateTimeOffset dto:
                return dto.ToString("O", CultureInfo.InvariantCulture);
            case DateOnly date:
                return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case TimeOnly time:
                return time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            case TimeSpan ts:
                return ts.ToString("c", CultureInfo.InvariantCulture);
            case Enum e:
                return e.ToString();
            case byte[] bytes:
                return Convert.ToBase64String(bytes);
            case JsonElement element:
                return FromJson(element);
            case JsonNode node:
                return FromJson(JsonSerializer.SerializeToElement(node));
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                return Record.FromPairs(pairs);
            case IDictionary dictionary:
                var record = new Record(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary)
                {
                    record.Set(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty, entry.Value);
                }

                return record;
            case IEnumerable sequence:
                var items = new List<object?>();
                foreach (var item in sequence)
                {
                    items.Add(Normalize(item));
                }

                return items;
            default:
                return Convert.ToString(value, CultureInfo.InvariantCulture);
        }
    }

    private static object FromDecimal(decimal m)
    {
        if (decimal.IsInteger(m) && m >= long.MinValue && m <= long.MaxValue)
        {
            return (long)m;
        }

        // A double only when it holds the decimal exactly as written; otherwise the digits are kept as text.
        var asDouble = (double)m;
        return decimal.TryParse(asDouble.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var back) && back == m
            ? asDouble
            : m.ToString(CultureInfo.InvariantCulture);
    }

    private static object? FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var record = new Record();
                foreach (var property in element.EnumerateObject())
                {
                    record.Set(property.Name, FromJson(property.Value));
                }

                return record;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var l))
                {
                    return l;
                }

                // An integer beyond int64 or a number beyond a double's range is kept as its digits.
                var raw = element.GetRawText();
                return raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0 && element.TryGetDouble(out var d) && double.IsFinite(d) ? d : raw;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
