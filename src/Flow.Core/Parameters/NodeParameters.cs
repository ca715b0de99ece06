using System.Globalization;
using Flow.Pipelines;
using Flow.Parameters;

namespace Flow;

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

    // Every parameter name the node asked for, present or not: what "did you mean" suggests from.
    private readonly HashSet<string> _asked = new(StringComparer.OrdinalIgnoreCase);

    private readonly List<string> _inputFiles = new();

    /// <summary>Files the node reads (full paths), declared when it was built: validation keeps sinks from writing onto them.</summary>
    internal IReadOnlyList<string> InputFiles => _inputFiles;

    /// <summary>Declares files the node reads.</summary>
    internal void DeclareInputFiles(IEnumerable<string> files)
    {
        lock (_inputFiles)
        {
            _inputFiles.AddRange(files.Select(Path.GetFullPath));
        }
    }

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

    /// <summary>Parameters (as written) that do not join the cache signature: settings that cannot change a step's output.</summary>
    internal IReadOnlySet<string> Unsigned => _unsigned;

    private readonly HashSet<string> _unsigned = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Keeps parameters out of the cache signature: settings such as timeouts and retries, which
    /// decide how hard a step tries, not what it outputs, so tuning them keeps the cache.
    /// </summary>
    internal void LeaveOutOfSignature(params string[] names)
    {
        lock (_unsigned)
        {
            _unsigned.UnionWith(names.Select(KeyAsWritten));
        }
    }

    /// <summary>
    /// Puts parameter <paramref name="name"/> (a value or a whole section) into the cache signature
    /// as the SHA-256 of <paramref name="resolved"/> instead of its text: a secret (a header with an
    /// API key) still invalidates the cache when it changes, but never stands in the signature, which
    /// the cache store keeps and <c>flow cache explain</c> prints.
    /// </summary>
    internal void SignAsHash(string name, ReadOnlySpan<byte> resolved)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(resolved));
        lock (_typed)
        {
            _typed[KeyAsWritten(name)] = $"\"sha256:{hash}\"";
        }
    }

    /// <summary>Configuration path of one parameter.</summary>
    public string PathOf(string name) => ConfigPath + ":" + name;

    /// <summary>Whether the parameter is present (with a value or children).</summary>
    public bool Has(string name)
    {
        var node = Lookup(name);
        return node is not null && (node.Value is not null || !node.IsLeaf);
    }

    /// <summary>The parameter's text, or <paramref name="defaultValue"/> when it is absent.</summary>
    public string? GetString(string name, string? defaultValue = null)
    {
        var node = Lookup(name);
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

    /// <summary>
    /// A whole-number parameter within [<paramref name="min"/>, <paramref name="max"/>]: digits, or any
    /// whole number such as <c>1e6</c>.
    /// </summary>
    public long GetInt64(string name, long defaultValue, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = GetString(name);
        if (text is null)
        {
            return defaultValue;
        }

        var result = WholeNumber.TryParse(text, min, max, out var value);
        return result == WholeNumber.Result.Ok
            ? Typed(name, value, value.ToString(CultureInfo.InvariantCulture))
            : throw Error(name, WholeNumber.Problem(result, text, min, max));
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

    /// <summary>A duration parameter (<c>00:00:00.001</c> or <c>1ms</c>, the grammar of every duration setting), or null when absent.</summary>
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
        var node = Lookup(name);
        if (node is null)
        {
            return Array.Empty<string>();
        }

        if (node.IsLeaf)
        {
            // An empty list in JSON configuration arrives as an empty (or null) value.
            return string.IsNullOrEmpty(node.Value) ? Array.Empty<string>() : new[] { node.Value };
        }

        if (!node.IsList)
        {
            throw Error(name, "expected a list");
        }

        return node.Items().Select((item, i) => item.IsLeaf && !string.IsNullOrEmpty(item.Value)
            ? item.Value
            : throw Error($"{name}:{i}", item.IsLeaf ? "expected a value, found an empty one" : "expected a value, found a section")).ToList();
    }

    /// <summary>A map parameter (<c>{"old": "new"}</c>), in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> GetMap(string name)
    {
        var node = Lookup(name);
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
        var key = KeyAsWritten(name);
        lock (_typed)
        {
            _typed[key] = normalForm;
        }

        return value;
    }

    // Keyed by the name as written in the parameters, which is how the canonical writer walks them.
    private string KeyAsWritten(string name) =>
        Root.Children.FirstOrDefault(c => string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase)).Key ?? name;

    /// <summary>An exception for a bad value of parameter <paramref name="name"/>.</summary>
    public FlowConfigurationException Error(string name, string message) => new(PathOf(name), message);

    /// <summary>
    /// Declares parameter names the node accepts without reading them while it is built (a custom
    /// node that reads some parameters later), so that they are not reported as unknown. Every
    /// parameter a node reads through a getter while it is built is accepted already.
    /// </summary>
    public void Accept(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        lock (_asked)
        {
            _asked.UnionWith(names);
        }
    }

    /// <summary>
    /// The parameters given that the node never asked for, each as an error with its path and the
    /// nearest name the node does know: a typo (<c>Wher</c>) must not run with a default silently.
    /// </summary>
    /// <param name="nodeType">The node's type, for the message.</param>
    /// <param name="declared">The names the node type declares it takes, or null to go by what it asked for.</param>
    internal IEnumerable<ConfigurationError> UnknownParameters(string nodeType, IReadOnlyCollection<string>? declared = null)
    {
        string[] asked;
        lock (_asked)
        {
            asked = (declared ?? _asked).Order(StringComparer.OrdinalIgnoreCase).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        }

        foreach (var (key, _) in Root.Children)
        {
            if (asked.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var known = asked.Length == 0 ? "it takes no parameters" : $"its parameters: {string.Join(", ", asked)}";
            yield return new ConfigurationError(PathOf(key), $"unknown parameter '{key}' for {nodeType}{Suggestions.DidYouMean(key, asked)}; {known}");
        }
    }

    /// <summary>Every name the node asked for so far (for the test that built-ins declare what they read).</summary>
    internal IReadOnlyCollection<string> AskedNames
    {
        get
        {
            lock (_asked)
            {
                return _asked.ToArray();
            }
        }
    }

    private ParamNode? Lookup(string name)
    {
        lock (_asked)
        {
            _asked.Add(name);
        }

        return Root.Child(name);
    }
}
