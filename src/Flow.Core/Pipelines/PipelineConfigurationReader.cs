using System.Globalization;
using Flow.Parameters;
using Microsoft.Extensions.Configuration;

namespace Flow.Pipelines;

/// <summary>
/// Reads pipeline definitions from the <c>Flow:Pipelines</c> configuration section. Reading never
/// throws for bad values: every problem is recorded with its configuration path, so that
/// <c>flow validate</c> can report all of them at once.
/// </summary>
internal static class PipelineConfigurationReader
{
    private static readonly HashSet<string> PipelineKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "BatchSize", "Sources", "Steps", "Sinks",
    };

    private static readonly HashSet<string> NodeKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Name", "Type", "Inputs", "Params", "UseCache", "Version", "Parallelism", "CacheTtl", "ErrorSink",
    };

    public static IReadOnlyList<PipelineDefinition> Read(IConfiguration configuration, string sectionPath = "Flow")
    {
        var pipelines = configuration.GetSection(sectionPath + ":Pipelines");
        return pipelines.GetChildren().Select(p => ReadPipeline(p, $"{sectionPath}:Pipelines:{p.Key}")).ToList();
    }

    private static PipelineDefinition ReadPipeline(IConfigurationSection section, string path)
    {
        var errors = new List<ConfigurationError>();
        var batchSize = (int)ReadWholeNumber(section, "BatchSize", path, PipelineDefinition.DefaultBatchSize, 1, PipelineDefinition.MaxBatchSize, errors);
        foreach (var child in section.GetChildren())
        {
            if (!PipelineKeys.Contains(child.Key))
            {
                errors.Add(UnknownSetting($"{path}:{child.Key}", child.Key, PipelineKeys));
            }
        }

        return new PipelineDefinition
        {
            Name = section.Key,
            BatchSize = batchSize,
            ConfigPath = path,
            Sources = ReadNodes(section.GetSection("Sources"), path + ":Sources", NodeKind.Source, errors),
            Steps = ReadNodes(section.GetSection("Steps"), path + ":Steps", NodeKind.Step, errors),
            Sinks = ReadNodes(section.GetSection("Sinks"), path + ":Sinks", NodeKind.Sink, errors),
            ReadErrors = errors,
        };
    }

    private static List<NodeDefinition> ReadNodes(IConfigurationSection section, string path, NodeKind kind, List<ConfigurationError> errors)
    {
        var nodes = new List<NodeDefinition>();
        foreach (var child in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            var nodePath = $"{path}:{child.Key}";
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new ConfigurationError(nodePath, $"{kind}s must be a list"));
                continue;
            }

            nodes.Add(ReadNode(child, nodePath, kind, nodes.Count, errors));
        }

        return nodes;
    }

    private static NodeDefinition ReadNode(IConfigurationSection section, string path, NodeKind kind, int index, List<ConfigurationError> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!NodeKeys.Contains(child.Key))
            {
                var unknown = UnknownSetting($"{path}:{child.Key}", child.Key, NodeKeys);
                errors.Add(unknown with { Message = unknown.Message + "; type-specific parameters go under Params" });
            }
        }

        var type = section["Type"];
        if (string.IsNullOrWhiteSpace(type))
        {
            errors.Add(new ConfigurationError(path + ":Type", "is required"));
            type = string.Empty;
        }

        var name = section["Name"];
        if (string.IsNullOrWhiteSpace(name))
        {
            // An unnamed node is named after its type and position, so errors and reports can still point at it.
            name = $"{kind.ToString().ToLowerInvariant()}{index}";
        }

        if (kind != NodeKind.Step)
        {
            foreach (var stepOnly in new[] { "UseCache", "Version", "Parallelism", "CacheTtl" })
            {
                if (section[stepOnly] is not null)
                {
                    errors.Add(new ConfigurationError($"{path}:{stepOnly}", $"applies to steps only, not to {kind.ToString().ToLowerInvariant()}s"));
                }
            }
        }

        var errorSink = section["ErrorSink"];
        if (errorSink is not null && kind == NodeKind.Source)
        {
            errors.Add(new ConfigurationError(path + ":ErrorSink", "applies to steps and sinks, not to sources (a source's unreadable input fails the run, or goes to its own dead-letter stream)"));
            errorSink = null;
        }
        else if (errorSink is not null && string.IsNullOrWhiteSpace(errorSink))
        {
            errors.Add(new ConfigurationError(path + ":ErrorSink", "is empty; name a sink of this pipeline, or leave ErrorSink out"));
            errorSink = null;
        }

        var useCache = ReadBool(section, "UseCache", path, true, errors);
        return new NodeDefinition
        {
            Kind = kind,
            Name = name,
            Type = type,
            Inputs = ReadInputs(section.GetSection("Inputs")),
            Params = ParamNode.FromConfiguration(section.GetSection("Params")),
            ConfigPath = path,
            UseCache = useCache,
            CacheForced = section["UseCache"] is not null && useCache,
            Version = section["Version"],
            Parallelism = ReadParallelism(section, path, errors),
            CacheTtl = ReadDuration(section, "CacheTtl", path, errors),
            ErrorSink = errorSink,
        };
    }

    private static IReadOnlyList<string>? ReadInputs(IConfigurationSection section)
    {
        if (section.Value is { } single)
        {
            return new[] { single };
        }

        var items = section.GetChildren().Select(c => c.Value).Where(v => v is not null).Select(v => v!).ToList();
        return items.Count == 0 ? null : items;
    }

    private static bool ReadBool(IConfigurationSection section, string key, string path, bool defaultValue, List<ConfigurationError> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add(new ConfigurationError($"{path}:{key}", $"'{text}' is not true or false"));
        return defaultValue;
    }

    private static int ReadParallelism(IConfigurationSection section, string path, List<ConfigurationError> errors) =>
        (int)ReadWholeNumber(section, "Parallelism", path, 1, 1, PipelinePlanner.MaxParallelism, errors);

    private static long ReadWholeNumber(IConfigurationSection section, string key, string path, long defaultValue, long min, long max, List<ConfigurationError> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        var result = WholeNumber.TryParse(text, min, max, out var value);
        if (result == WholeNumber.Result.Ok)
        {
            return value;
        }

        errors.Add(new ConfigurationError($"{path}:{key}", WholeNumber.Problem(result, text, min, max)));
        return defaultValue;
    }

    /// <summary>A key Flow does not know, with the nearest one it does and the full list.</summary>
    internal static ConfigurationError UnknownSetting(string path, string key, IEnumerable<string> known)
    {
        var names = known.Order(StringComparer.OrdinalIgnoreCase).ToList();
        return new ConfigurationError(path, $"unknown setting '{key}'{Suggestions.DidYouMean(key, names)}; expected one of {string.Join(", ", names)}");
    }

    private static TimeSpan? ReadDuration(IConfigurationSection section, string key, string path, List<ConfigurationError> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return null;
        }

        if (Duration.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add(new ConfigurationError($"{path}:{key}", $"'{text}' is not {Duration.Describe}"));
        return null;
    }
}
