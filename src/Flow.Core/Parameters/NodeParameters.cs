using System.Globalization;
using Flow.Pipelines;

namespace Flow.Parameters;

/// <summary>
/// The <c>Params</c> of one node, with typed getters. A getter that finds a bad value throws a
/// <see cref="FlowConfigurationException"/> naming the parameter's configuration path, so a custom
/// step reports bad configuration exactly like the built-ins do.
/// </summary>
public sealed class NodeParameters
{
    internal NodeParameters(ParamNode root, string configPath, string baseDirectory)
    {
        Root = root;
        ConfigPath = configPath;
        BaseDirectory = baseDirectory;
    }

    /// <summary>Configuration path of the <c>Params</c> section, e.g. <c>Flow:Pipelines:p:Steps:0:Params</c>.</summary>
    public string ConfigPath { get; }

    /// <summary>Folder that relative file paths are resolved against.</summary>
    public string BaseDirectory { get; }

    internal ParamNode Root { get; }

    /// <summary>
    /// The normal form (JSON) of every parameter read as a typed value, by name: what the cache
    /// signature uses instead of the text, so that only formatting the step cannot see is ignored.
    /// </summary>
    internal IReadOnlyDictionary<string, string> TypedValues => _typed;

    private readonly Dictionary<string, string> _typed = new(StringComparer.OrdinalIgnoreCase);

    private readonly SortedDictionary<string, string> _contents = new(StringComparer.Ordinal);

    /// <summary>Content hashes of the files the step's output depends on, by parameter name.</summary>
    internal IReadOnlyDictionary<string, string> ContentHashes => _contents;

    /// <summary>
    /// Declares that the step's output depends on <paramref name="content"/> (a file named by
    /// parameter <paramref name="name"/>): its hash joins the step's cache signature, so editing the
    /// file re-runs the step instead of replaying results computed from the old contents.
    /// Call it while the step is built, with the bytes it actually uses.
    /// </summary>
    public void DependsOnContent(string name, ReadOnlySpan<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var hash = Caching.CacheHash.Of(content);
        lock (_contents)
        {
            _contents[name] = hash;
        }
    }

    /// <summary>Configuration path of one parameter.</summary>
    public string PathOf(string name) => ConfigPath + ":" + name;

    /// <summary>Whether the parameter is present (with a value or children).</summary>
    public bool Has(string name)
    {
        var node = Root.Child(name);
        return node is not null && (node.Value is not null || !node.IsLeaf);
    }

    /// <summary>The parameter's text, or <paramref name="defaultValue"/> when it is absent.</summary>
    public string? GetString(string name, string? defaultValue = null)
    {
        var node = Root.Child(name);
        if (node is null || (node.IsLeaf && node.Value is null))
        {
            return defaultValue;
        }

        if (!node.IsLeaf)
        {
            throw Error(name, "expected a single value, found a section");
        }

        return node.Value;
    }

    /// <summary>The parameter's text; a missing or empty value is a configuration error.</summary>
    public string GetRequiredString(string name)
    {
        var value = GetString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Error(name, "is required");
        }

        return value;
    }

    /// <summary>An integer parameter within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long GetInt64(string name, long defaultValue, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = GetString(name);
        if (text is null)
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(name, $"'{text}' is not a whole number");
        }

        if (value < min || value > max)
        {
            throw Error(name, $"{value} is out of range [{min}, {max}]");
        }

        return Typed(name, value, value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A number parameter (<c>0.5</c>, <c>1e-3</c>).</summary>
    public double GetDouble(string name, double defaultValue)
    {
        var text = GetString(name);
        if (text is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw Error(name, $"'{text}' is not a number");
        }

        return Typed(name, value, value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>An integer parameter within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int GetInt32(string name, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        (int)GetInt64(name, defaultValue, min, max);

    /// <summary>A boolean parameter (<c>true</c>/<c>false</c>).</summary>
    public bool GetBoolean(string name, bool defaultValue)
    {
        var text = GetString(name);
        if (text is null)
        {
            return defaultValue;
        }

        return bool.TryParse(text, out var value)
            ? Typed(name, value, value ? "true" : "false")
            : throw Error(name, $"'{text}' is not true or false");
    }

    /// <summary>A duration parameter (<c>00:00:00.001</c> or <c>1ms</c>), or null when absent.</summary>
    public TimeSpan? GetDuration(string name)
    {
        var text = GetString(name);
        if (text is null)
        {
            return null;
        }

        return Duration.TryParse(text, out var value)
            ? Typed(name, value, value.Ticks.ToString(CultureInfo.InvariantCulture))
            : throw Error(name, $"'{text}' is not {Duration.Describe}");
    }

    /// <summary>A list parameter (<c>["a", "b"]</c>); a single value counts as a list of one.</summary>
    public IReadOnlyList<string> GetList(string name)
    {
        var node = Root.Child(name);
        if (node is null)
        {
            return Array.Empty<string>();
        }

        if (node.IsLeaf)
        {
            return node.Value is null ? Array.Empty<string>() : new[] { node.Value };
        }

        if (!node.IsList)
        {
            throw Error(name, "expected a list");
        }

        return node.Items().Select((item, i) => item.IsLeaf && item.Value is not null
            ? item.Value
            : throw Error($"{name}:{i}", "expected a value")).ToList();
    }

    /// <summary>A map parameter (<c>{"old": "new"}</c>), in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> GetMap(string name)
    {
        var node = Root.Child(name);
        if (node is null || (node.IsLeaf && node.Value is null))
        {
            return Array.Empty<KeyValuePair<string, string>>();
        }

        if (node.IsLeaf)
        {
            throw Error(name, "expected a map of names to values");
        }

        return node.Children.Select(c => c.Value.IsLeaf
            ? new KeyValuePair<string, string>(c.Key, c.Value.Value ?? string.Empty)
            : throw Error($"{name}:{c.Key}", "expected a value")).ToList();
    }

    /// <summary>A file path parameter resolved against <see cref="BaseDirectory"/>.</summary>
    public string? GetPath(string name)
    {
        var text = GetString(name);
        return text is null ? null : ResolvePath(text);
    }

    /// <summary>Resolves a path against <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(path, BaseDirectory);

    private T Typed<T>(string name, T value, string normalForm)
    {
        // Keyed by the name as written in the parameters, which is how the canonical writer walks them.
        var key = Root.Children.FirstOrDefault(c => string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase)).Key ?? name;
        lock (_typed)
        {
            _typed[key] = normalForm;
        }

        return value;
    }

    /// <summary>An exception for a bad value of parameter <paramref name="name"/>.</summary>
    public FlowConfigurationException Error(string name, string message) => new(PathOf(name), message);
}
