using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Flow.Worker;

/// <summary>
/// Reads a YAML configuration file into the flat <c>Section:Key</c> pairs that configuration
/// uses, so a YAML file means exactly what the same JSON file would (sequences become
/// <c>Key:0</c>, <c>Key:1</c>...). Scalars stay text, as in JSON configuration.
/// </summary>
internal static class YamlConfigurationFile
{
    public static IReadOnlyDictionary<string, string?> Read(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = File.OpenText(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new InvalidDataException($"--config: '{path}' is not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count > 0)
        {
            Flatten(stream.Documents[0].RootNode, string.Empty, values);
        }

        return values;
    }

    private static void Flatten(YamlNode node, string path, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, child) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? string.Empty;
                    Flatten(child, path.Length == 0 ? name : $"{path}:{name}", values);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], $"{path}:{i.ToString(CultureInfo.InvariantCulture)}", values);
                }

                break;
            case YamlScalarNode scalar:
                // An unquoted ~ or null is YAML's null; anything else is the text as written.
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "~" or "null" or "Null" or "NULL";
                values[path] = isNull ? null : scalar.Value;
                break;
        }
    }
}
