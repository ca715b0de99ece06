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
                return Section(dictionary.Cast<DictionaryEntry>()
                    .Select(e => new KeyValuePair<string, ParamNode>(Convert.ToString(e.Key, CultureInfo.InvariantCulture)!, FromObject(e.Value))));
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                return Section(pairs.Select(p => new KeyValuePair<string, ParamNode>(p.Key, FromObject(p.Value))));
            case IEnumerable sequence:
                return Section(sequence.Cast<object?>()
                    .Select((item, i) => new KeyValuePair<string, ParamNode>(i.ToString(CultureInfo.InvariantCulture), FromObject(item))));
            default:
                var properties = value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .Where(p => p.GetIndexParameters().Length == 0);
                return Section(properties.Select(p => new KeyValuePair<string, ParamNode>(p.Name, FromObject(p.GetValue(value)))));
        }
    }

    /// <summary>
    /// Canonical JSON of the tree: keys sorted (ordinal, case-insensitive first), lists as arrays,
    /// numbers in one normal form (so <c>1</c>, <c>1.0</c> and <c>1e0</c> agree), booleans in lower case.
    /// Two trees that mean the same give the same bytes: this is what a step's cache signature hashes.
    /// </summary>
    public void WriteCanonical(Utf8JsonWriter writer)
    {
        if (IsLeaf)
        {
            WriteCanonicalLeaf(writer, Value);
            return;
        }

        if (IsList)
        {
            writer.WriteStartArray();
            foreach (var item in Items())
            {
                item.WriteCanonical(writer);
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        foreach (var (key, child) in Children
                     .OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase)
                     .ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(key);
            child.WriteCanonical(writer);
        }

        writer.WriteEndObject();
    }

    public string ToCanonicalJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Flattens the tree to <c>path = canonical value</c> pairs, for explaining what changed.</summary>
    public IEnumerable<KeyValuePair<string, string>> Flatten(string prefix = "")
    {
        if (IsLeaf)
        {
            yield return new KeyValuePair<string, string>(prefix, CanonicalLeaf(Value));
            yield break;
        }

        foreach (var (key, child) in Children)
        {
            foreach (var pair in child.Flatten(prefix.Length == 0 ? key : prefix + ":" + key))
            {
                yield return pair;
            }
        }
    }

    private static void WriteCanonicalLeaf(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (Serialization.NumberText.IsJsonNumber(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            writer.WriteRawValue(d.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true);
        }
        else if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
        {
            writer.WriteBooleanValue(true);
        }
        else if (string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
        {
            writer.WriteBooleanValue(false);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private static string CanonicalLeaf(string? value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonicalLeaf(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
