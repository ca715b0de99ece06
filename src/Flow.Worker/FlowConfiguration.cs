using Microsoft.Extensions.Configuration;

namespace Flow.Worker;

/// <summary>
/// Layers configuration the way DESIGN.md fixes it: appsettings.json in the working folder, then
/// <c>--config FILE</c>, then environment variables (<c>Flow__X</c> as is, <c>FLOW_X</c> as <c>Flow:X</c>),
/// then command-line overrides.
/// </summary>
internal static class FlowConfiguration
{
    /// <summary>Command-line switches that are short for configuration keys.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--use-cache"] = "Flow:Cache:Enabled",
        ["--pipeline"] = "Flow:Run:Pipeline",
        ["--report"] = "Flow:Run:Report",
    };

    public static void Apply(IConfigurationBuilder builder, string workingFolder, string? configFile, string[] overrides)
    {
        builder.SetBasePath(workingFolder);
        builder.AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            var path = Path.GetFullPath(configFile, workingFolder);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--config: file '{configFile}' does not exist", path);
            }

            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".json":
                    builder.AddJsonFile(path, optional: false, reloadOnChange: false);
                    break;
                case ".yaml" or ".yml":
                    builder.AddInMemoryCollection(YamlConfigurationFile.Read(path));
                    break;
                default:
                    throw new NotSupportedException($"--config: '{configFile}' is neither JSON (.json) nor YAML (.yaml, .yml)");
            }
        }

        builder.AddEnvironmentVariables();
        builder.Add(new FlowEnvironmentVariables());
        builder.AddCommandLine(overrides, SwitchMappings);
    }
}
