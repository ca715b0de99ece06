using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Flow.Parameters;

/// <summary>
/// The parameters of a node as a tree of strings, the shape configuration gives them
/// (<c>Params:Fields:0</c>, <c>Params:Map:old</c>). Pipelines written in C# convert their
/// parameter objects to the same tree, so both ways give the same model and the same cache keys.
/// </summary>
internal sealed class ParamNode
{
    public static readonly ParamNode Empty = new(null, new List<KeyValuePair<string, ParamNode>>());

    private ParamNode(string? value, List<KeyValuePair<string, ParamNode>> children)
    {
        Value = value;
        Children = children;
    }

    /// <summary>The leaf value (null for a section or an explicit null).</summary>
    public string? Value { get; }

    /// <summary>Child nodes in the order they were given.</summary>
    public IReadOnlyList<KeyValuePair<string, ParamNode>> Children { get; }

    public bool IsLeaf => Children.Count == 0;

    /// <summary>True when the children are keyed 0..n-1, the way configuration stores a list.</summary>
    public bool IsList
    {
        get
        {
            if (Children.Count == 0)
            {
                return false;
            }

            var seen = new bool[Children.Count];
            foreach (var (key, _) in Children)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i >= seen.Length || seen[i])
                {
                    return false;
                }

                seen[i] = true;
            }

            return true;
        }
    }

    public ParamNode? Child(string name)
    {
        foreach (var (key, node) in Children)
        {
            // Configuration keys are case-insensitive; parameters follow the same rule.
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>List items in index order (children keyed 0..n-1).</summary>
    public IEnumerable<ParamNode> Items() =>
        Children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => c.Value);

    public static ParamNode Leaf(string? value) => new(value, new List<KeyValuePair<string, ParamNode>>());

    public static ParamNode Section(IEnumerable<KeyValuePair<string, ParamNode>> children) => new(null, children.ToList());

    public static ParamNode FromConfiguration(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return Leaf(section.Value);
        }

        return Section(children.Select(c => new KeyValuePair<string, ParamNode>(c.Key, FromConfiguration(c))));
    }

    /// <summary>
    /// Converts a C# parameter object (anonymous object, dictionary, list, scalar) to the tree.
    /// Scalars become the strings configuration would hold for them.
    /// </summary>
    public static ParamNode FromObject(object? value)
    {
        switch (value)
        {
            case null:
                return Leaf(null);
            case ParamNode node:
                return node;
            case string s:
                return Leaf(s);
            case bool b:
                return Leaf(b ? "true" : "false");
            case TimeSpan ts:
                return Leaf(ts.ToString("c", CultureInfo.InvariantCulture));
            case IFormattable f when value.GetType().IsPrimitive || value is decimal:
                return Leaf(f.ToString(null, CultureInfo.InvariantCulture));
            case Enum e:
                return Leaf(e.ToString());
            case IDictionary dictionary:
                // Through Keys: enumerating a generic Dictionary as IEnumerable yields KeyValuePairs, not DictionaryEntry.
                return Map(dictionary.Keys.Cast<object>()
                    .Select(k => new KeyValuePair<string, ParamNode>(Convert.ToString(k, CultureInfo.InvariantCulture)!, FromObject(dictionary[k]))));
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                return Map(pairs.Select(p => new KeyValuePair<string, ParamNode>(p.Key, FromObject(p.Value))));
            case IEnumerable sequence:
                return Section(sequence.Cast<object?>()
                    .Select((item, i) => new KeyValuePair<string, ParamNode>(i.ToString(CultureInfo.InvariantCulture), FromObject(item))));
            default:
                var properties = value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .Where(p => p.GetIndexParameters().Length == 0);
                return Map(properties.Select(p => new KeyValuePair<string, ParamNode>(p.Name, FromObject(p.GetValue(value)))));
        }
    }

    /// <summary>
    /// A map in the order configuration would give it (numbers numerically, then names ignoring
    /// case), so a pipeline written in C# and the same one in configuration see their maps alike.
    /// </summary>
    private static ParamNode Map(IEnumerable<KeyValuePair<string, ParamNode>> children) =>
        Section(children.OrderBy(c => c.Key, ConfigurationOrder.Instance));

    private sealed class ConfigurationOrder : IComparer<string>
    {
        public static readonly ConfigurationOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xIsNumber = int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var xNumber);
            var yIsNumber = int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var yNumber);
            return (xIsNumber, yIsNumber) switch
            {
                (true, true) => xNumber.CompareTo(yNumber),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.Compare(x, y, StringComparison.OrdinalIgnoreCase),
            };
        }
    }

    /// <summary>
    /// Canonical JSON of the tree: keys sorted (ordinal, case-insensitive first), lists as arrays.
    /// A leaf the step read as a typed value (a number, a boolean, a duration) is written in that
    /// type's one normal form from <paramref name="typed"/>, so <c>1</c> and <c>1.0</c>, or
    /// <c>1ms</c> and <c>00:00:00.001</c>, give the same bytes; every other leaf is its text as
    /// written, so text that merely looks numeric ("1" against "1.0" as a field name) never collides.
    /// A section the step signed as a whole (a hash of secrets) is written as that one value, and the
    /// top-level keys in <paramref name="omit"/> not at all.
    /// </summary>
    public void WriteCanonical(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> typed, string path = "", IReadOnlySet<string>? omit = null)
    {
        if (path.Length > 0 && typed.TryGetValue(path, out var normal))
        {
            writer.WriteRawValue(normal, skipInputValidation: true);
            return;
        }

        if (IsLeaf)
        {
            if (Value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(Value);
            }

            return;
        }

        if (IsList)
        {
            writer.WriteStartArray();
            var i = 0;
            foreach (var item in Items())
            {
                item.WriteCanonical(writer, typed, Join(path, i++.ToString(CultureInfo.InvariantCulture)));
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        foreach (var (key, child) in Children
                     .OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase)
                     .ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            if (path.Length == 0 && omit is not null && omit.Contains(key))
            {
                continue;
            }

            writer.WritePropertyName(key);
            child.WriteCanonical(writer, typed, Join(path, key));
        }

        writer.WriteEndObject();
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : path + ":" + key;
}
