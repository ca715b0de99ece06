using Flow.Parameters;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;

namespace Flow.Settings;

/// <summary>
/// Reads the settings of the <c>Flow</c> section (all but the pipelines) with Flow's own grammars:
/// one for durations, one for sizes, one for booleans, everywhere. Every problem is collected with
/// its configuration path, a key Flow does not know included (with the nearest one it does), so that
/// one run of <c>flow validate</c> reports all of them and nothing runs on a silent default.
/// </summary>
/// <remarks>
/// This replaces the configuration binder for <see cref="FlowOptions"/>: the binder ignores unknown
/// keys, stops at the first bad value and reports it in .NET's conversion words.
/// </remarks>
internal static class FlowOptionsReader
{
    private static readonly Dictionary<string, Action<FlowCacheOptions, IConfigurationSection, List<ConfigurationError>>> CacheKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Enabled"] = (o, s, e) => o.Enabled = Boolean(s, e) ?? o.Enabled,
        ["Store"] = (o, s, e) => o.Store = Text(s, e)?.Trim() ?? o.Store, // checked against the registered stores
        ["Path"] = (o, s, e) => o.Path = Text(s, e) ?? o.Path,
        ["Redis"] = (o, s, e) => o.Redis = Text(s, e) ?? o.Redis,
        ["KeyPrefix"] = (o, s, e) => o.KeyPrefix = Text(s, e) ?? o.KeyPrefix,
        ["Ttl"] = (o, s, e) => o.Ttl = Positive(s, e) ?? o.Ttl,
        ["MaxSize"] = (o, s, e) => o.MaxSize = Size(s, e) is not null ? s.Value : o.MaxSize,
        ["Required"] = (o, s, e) => o.Required = Boolean(s, e) ?? o.Required,
        ["LeaseTime"] = (o, s, e) => o.LeaseTime = AtLeast(s, e, MinimumLeaseTime, "a lease") ?? o.LeaseTime,
        ["ConnectTimeout"] = (o, s, e) => o.ConnectTimeout = Positive(s, e) ?? o.ConnectTimeout,
        ["OperationTimeout"] = (o, s, e) => o.OperationTimeout = Positive(s, e) ?? o.OperationTimeout,
        ["SigningKey"] = (o, s, e) => o.SigningKey = Text(s, e) ?? o.SigningKey,
    };

    /// <summary>A shorter lease would spend its life renewing itself (every third of it).</summary>
    private static readonly TimeSpan MinimumLeaseTime = TimeSpan.FromMilliseconds(100);

    private static readonly Dictionary<string, Action<FlowRunOptions, IConfigurationSection, List<ConfigurationError>>> RunKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Pipeline"] = (o, s, e) => o.Pipeline = Text(s, e) ?? o.Pipeline,
        ["Report"] = (o, s, e) => o.Report = Text(s, e) ?? o.Report,
    };

    private static readonly Dictionary<string, Action<FlowOptions, IConfigurationSection, List<ConfigurationError>>> FlowKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Cache"] = (o, s, e) => ReadSection(s, o.Cache, CacheKeys, e),
        ["Run"] = (o, s, e) => ReadSection(s, o.Run, RunKeys, e),
        ["Pipelines"] = (_, _, _) => { }, // read by PipelineConfigurationReader
        ["DrainTimeout"] = (o, s, e) => o.DrainTimeout = Positive(s, e) ?? o.DrainTimeout,
        ["ProgressInterval"] = (o, s, e) => o.ProgressInterval = Positive(s, e) ?? o.ProgressInterval,
        ["AbortGrace"] = (o, s, e) => o.AbortGrace = Positive(s, e) ?? o.AbortGrace,
        ["Plugins"] = (o, s, e) => o.Plugins = Plugins(s, e),
    };

    /// <summary>Every setting this reader knows, as its full path (<c>Flow:Cache:Ttl</c>), for the README's reference to be checked against.</summary>
    public static IEnumerable<string> KnownSettings() =>
        FlowKeys.Keys.Where(k => k is not ("Cache" or "Run" or "Pipelines")).Select(k => "Flow:" + k)
            .Concat(CacheKeys.Keys.Select(k => "Flow:Cache:" + k))
            .Concat(RunKeys.Keys.Select(k => "Flow:Run:" + k));

    /// <summary>Reads <c>Flow:*</c> of <paramref name="configuration"/> into <paramref name="options"/>; returns every problem found.</summary>
    public static IReadOnlyList<ConfigurationError> Read(IConfiguration configuration, FlowOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<ConfigurationError>();
        ReadSection(configuration.GetSection(FlowOptions.SectionName), options, FlowKeys, errors);
        return errors;
    }

    private static void ReadSection<T>(IConfigurationSection section, T target, Dictionary<string, Action<T, IConfigurationSection, List<ConfigurationError>>> keys, List<ConfigurationError> errors)
    {
        if (section.Value is { Length: > 0 } value && !section.GetChildren().Any())
        {
            errors.Add(new ConfigurationError(section.Path, $"expected a section of settings, found the value '{value}'"));
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (keys.TryGetValue(child.Key, out var read))
            {
                read(target, child, errors);
            }
            else
            {
                errors.Add(PipelineConfigurationReader.UnknownSetting(child.Path, child.Key, keys.Keys));
            }
        }
    }

    private static string? Text(IConfigurationSection section, List<ConfigurationError> errors)
    {
        if (section.GetChildren().Any())
        {
            errors.Add(new ConfigurationError(section.Path, "expected a value, found a section"));
            return null;
        }

        return section.Value;
    }

    // A list of assembly paths, each loaded now, so a missing or broken plug-in is an error of this
    // key (with its index) rather than an unknown type later.
    private static List<string> Plugins(IConfigurationSection section, List<ConfigurationError> errors)
    {
        var paths = new List<string>();
        var items = section.GetChildren().ToList();
        if (items.Count == 0 && section.Value is { Length: > 0 })
        {
            errors.Add(new ConfigurationError(section.Path, "expected a list of plug-in assembly paths, e.g. [ \"plugins/MyCompany.Steps.dll\" ]"));
            return paths;
        }

        foreach (var item in items)
        {
            if (Text(item, errors) is not { } path)
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(path))
            {
                errors.Add(new ConfigurationError(item.Path, "is empty; name a plug-in assembly (.dll)"));
                continue;
            }

            if (Pipelines.PluginAssemblies.Load(path) is { } problem)
            {
                errors.Add(new ConfigurationError(item.Path, problem));
                continue;
            }

            paths.Add(path);
        }

        return paths;
    }

    private static bool? Boolean(IConfigurationSection section, List<ConfigurationError> errors)
    {
        var text = Text(section, errors);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text.Trim(), out var value))
        {
            return value;
        }

        errors.Add(new ConfigurationError(section.Path, $"'{text}' is not true or false"));
        return null;
    }

    private static TimeSpan? Positive(IConfigurationSection section, List<ConfigurationError> errors)
    {
        var text = Text(section, errors);
        if (text is null)
        {
            return null;
        }

        if (Duration.TryParse(text, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        errors.Add(new ConfigurationError(section.Path, $"'{text}' is not {Duration.Describe} (above zero)"));
        return null;
    }

    private static TimeSpan? AtLeast(IConfigurationSection section, List<ConfigurationError> errors, TimeSpan minimum, string what)
    {
        var value = Positive(section, errors);
        if (value < minimum)
        {
            errors.Add(new ConfigurationError(section.Path, $"'{section.Value}' is too short for {what}: at least {(long)minimum.TotalMilliseconds}ms"));
            return null;
        }

        return value;
    }

    private static long? Size(IConfigurationSection section, List<ConfigurationError> errors)
    {
        var text = Text(section, errors);
        if (text is null)
        {
            return null;
        }

        if (ByteSize.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add(new ConfigurationError(section.Path, $"'{text}' is not {ByteSize.Describe}"));
        return null;
    }
}
