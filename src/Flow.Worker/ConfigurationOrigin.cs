using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Flow.Worker;

/// <summary>
/// Says where a configuration key was set (which file, which environment variable, the command
/// line), so a problem reported at <c>Flow:Cache:Stor</c> can be found when it came from
/// <c>FLOW_Cache__Stor</c> rather than from a file.
/// </summary>
internal static class ConfigurationOrigin
{
    /// <summary>" (in config.json)", " (from environment variable FLOW_X)"..., or an empty string when unknown.</summary>
    public static string Describe(IConfiguration configuration, string path)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return string.Empty;
        }

        // The last provider that has the key (or something under it) is the one whose value counts.
        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(path, out _) && !provider.GetChildKeys([], path).Any())
            {
                continue;
            }

            return provider switch
            {
                FlowEnvironmentVariables flow when flow.VariableOf(path) is { } name => $" (from environment variable {name})",
                EnvironmentVariablesConfigurationProvider => $" (from environment variable {path.Replace(":", "__", StringComparison.Ordinal)})",
                CommandLineConfigurationProvider => " (from the command line)",
                FileConfigurationProvider file when file.Source.Path is { } name => $" (in {FullPath(file.Source, name)})",
                _ => string.Empty,
            };
        }

        return string.Empty;
    }

    // The provider keeps the name relative to its file provider's root: an absolute --config and the
    // appsettings.json of the working folder would both read "appsettings.json".
    private static string FullPath(FileConfigurationSource source, string name) =>
        source.FileProvider is Microsoft.Extensions.FileProviders.PhysicalFileProvider physical
            ? Path.Combine(physical.Root, name)
            : name;
}
