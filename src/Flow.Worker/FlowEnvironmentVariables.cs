using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Flow.Worker;

/// <summary>
/// Environment variables <c>FLOW_X__Y</c> as configuration keys <c>Flow:X:Y</c> (next to .NET's own
/// <c>Flow__X__Y</c>), remembering each key's variable for messages.
/// </summary>
internal sealed class FlowEnvironmentVariables : ConfigurationProvider, IConfigurationSource
{
    private const string Prefix = "FLOW_";
    private readonly Dictionary<string, string> _variables = new(StringComparer.OrdinalIgnoreCase);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public override void Load()
    {
        Data.Clear();
        _variables.Clear();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && name.Length > Prefix.Length)
            {
                var key = "Flow:" + name[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                Data[key] = (string?)variable.Value;
                _variables[key] = name;
            }
        }
    }

    /// <summary>The variable that set <paramref name="key"/> (or a key under it), or null.</summary>
    public string? VariableOf(string key) =>
        _variables.TryGetValue(key, out var name) ? name
        : _variables.FirstOrDefault(v => v.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)).Value;
}
