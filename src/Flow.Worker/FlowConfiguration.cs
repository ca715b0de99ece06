using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;

namespace Flow.Worker;

/// <summary>
/// Layers configuration the way DESIGN.md fixes it: appsettings.json in the working folder, then
/// <c>--config FILE</c> (JSON, or YAML through NetEscapades.Configuration.Yaml), then environment
/// variables (<c>Flow__X</c> as is, <c>FLOW_X</c> as <c>Flow:X</c>), then command-line overrides.
/// </summary>
internal static class FlowConfiguration
{
    /// <summary>Adds the layers; <paramref name="overrides"/> are <c>--Section:Key=value</c> arguments (<see cref="FlowRequest.Overrides"/>).</summary>
    public static void Apply(IConfigurationBuilder builder, string workingFolder, string? configFile, IReadOnlyList<string> overrides)
    {
        builder.SetBasePath(workingFolder);
        AddJsonFile(builder, Path.Combine(workingFolder, "appsettings.json"), "appsettings.json", optional: true);
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
                    AddJsonFile(builder, path, "--config: '" + path + "'", optional: false);
                    break;
                case ".yaml" or ".yml":
                    AddYamlFile(builder, path);
                    break;
                default:
                    throw new NotSupportedException($"--config: '{configFile}' is neither JSON (.json) nor YAML (.yaml, .yml)");
            }
        }

        builder.AddEnvironmentVariables();
        builder.Add(new FlowEnvironmentVariables());
        builder.AddCommandLine(overrides.ToArray());
    }

    // The JSON provider reports System.Text.Json's 0-based line and byte positions inside a wrapped
    // message; a user counts from 1, as an editor does.
    private static void AddJsonFile(IConfigurationBuilder builder, string path, string what, bool optional)
    {
        try
        {
            builder.AddJsonFile(path, optional, reloadOnChange: false);
        }
        catch (InvalidDataException ex) when (Find<System.Text.Json.JsonException>(ex) is { } json)
        {
            var reason = json.Message;
            var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            reason = (cut > 0 ? reason[..cut] : reason).TrimEnd('.', ' ');
            var position = json.LineNumber is { } line
                ? $" at line {line + 1}, column {(json.BytePositionInLine ?? 0) + 1}"
                : "";
            throw new InvalidDataException($"{what} is not valid JSON{position}: {reason}");
        }
    }

    // A file provider like JSON's, so that ConfigurationOrigin names the file a bad key came from.
    // The host's ConfigurationManager loads a source as it is added, and the provider wraps what the
    // YAML reader threw twice (InvalidDataException, FormatException, YamlException): one line here.
    private static void AddYamlFile(IConfigurationBuilder builder, string path)
    {
        try
        {
            builder.AddYamlFile(path, optional: false, reloadOnChange: false);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"--config: '{path}' {YamlProblem(path, ex)}");
        }
    }

    private static string YamlProblem(string path, InvalidDataException exception)
    {
        if (Find<YamlException>(exception) is { } yaml)
        {
            return $"is not valid YAML at line {yaml.Start.Line}, column {yaml.Start.Column}: {Reason(yaml)}";
        }

        if (Find<InvalidCastException>(exception) is not null)
        {
            return "must hold a mapping at its top (such as 'Flow:'), not a list or a single value";
        }

        if (exception.InnerException is FormatException format)
        {
            // Keys that differ only in case, which configuration cannot tell apart.
            return $"is not a valid configuration file: {format.Message}";
        }

        // YamlDotNet 13 throws a bare Exception on some unclosed flow collections ("[1, 2" then more
        // lines): read the file again to say how far it is valid.
        return LastValidMark(path) is { } mark
            ? $"is not valid YAML after line {mark.Line}, column {mark.Column} (an unclosed '[' or '{{'?)"
            : "is not valid YAML";
    }

    private static Mark? LastValidMark(string path)
    {
        using var reader = File.OpenText(path);
        var parser = new Parser(reader);
        Mark? last = null;
        try
        {
            while (parser.MoveNext())
            {
                last = parser.Current?.End;
            }
        }
        catch (Exception)
        {
            // Expected: this is the error being located.
        }

        return last;
    }

    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    // YamlDotNet puts the marks in front of its message: "(Line: 3, Col: 7, Idx: 40) - (Line: 3, Col: 8, Idx: 41): While scanning...".
    private static string Reason(YamlException exception)
    {
        var message = exception.Message;
        var marks = $"({exception.Start}) - ({exception.End}): ";
        return message.StartsWith(marks, StringComparison.Ordinal) ? message[marks.Length..] : message;
    }
}
