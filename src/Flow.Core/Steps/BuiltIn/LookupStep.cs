using Flow.Batches;
using Flow.Parameters;
using Flow.Pipelines;
using Flow.Serialization;
using Flow.Sources;
using Flow.Sources.BuiltIn;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Lookup</c>: joins each record with the row of <c>File</c> (CSV, JSON array or JSON Lines,
/// by extension) whose <c>On</c> field equals the record's <c>Key</c> field, adding that row's other
/// fields under <c>Prefix</c>. Keys compare as text, so 123 matches "123". When no row matches,
/// <c>Required</c> decides: <c>Keep</c> (default: the record passes unchanged), <c>Drop</c> or <c>Fail</c>.
/// The first row wins when the file repeats a key.
/// </summary>
internal sealed class LookupStep : RecordStep
{
    /// <summary>Its behaviour version: its own, and the readers' (their type inference decides the joined values).</summary>
    public const string Behaviour = "1+readers.1";

    private readonly string _key;
    private readonly string _prefix;
    private readonly MissingPolicy _required;
    private readonly Dictionary<string, (string Name, object? Value)[]> _rows;

    public LookupStep(NodeParameters parameters)
    {
        var file = parameters.GetPath("File") ?? throw parameters.Error("File", "is required");
        parameters.DeclareInputFiles([file]);
        _key = parameters.GetRequiredString("Key");
        var on = parameters.GetRequiredString("On");
        _prefix = parameters.GetString("Prefix", string.Empty)!;
        var required = parameters.GetString("Required", nameof(MissingPolicy.Keep))!;
        if (!Enum.TryParse(required, ignoreCase: true, out _required) || int.TryParse(required, out _))
        {
            throw parameters.Error("Required", $"'{required}' is not Keep, Drop or Fail");
        }

        _rows = Load(parameters, file, on);
        try
        {
            // The join is only as fresh as the file: an edited file must not replay old joins.
            parameters.DependsOnContent("File", File.ReadAllBytes(file));
        }
        catch (IOException ex)
        {
            throw parameters.Error("File", $"cannot read '{file}': {ex.Message}");
        }
    }

    private enum MissingPolicy
    {
        Keep,
        Drop,
        Fail,
    }

    protected override Record? Process(Record record)
    {
        var key = NumberText.Format(record[_key]);
        if (key is null || !_rows.TryGetValue(key, out var row))
        {
            return _required switch
            {
                MissingPolicy.Keep => record,
                MissingPolicy.Drop => null,
                _ => throw new InvalidOperationException($"lookup found no row for {_key} = {(key is null ? "null" : $"'{key}'")}"),
            };
        }

        foreach (var (name, value) in row)
        {
            // Nested values are copied: records own their values and a later step may change them.
            record.Set(name, Record.CloneValue(value));
        }

        return record;
    }

    private Dictionary<string, (string Name, object? Value)[]> Load(NodeParameters parameters, string file, string on)
    {
        var kind = Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".csv" or ".tsv" => "Csv",
            ".json" => "Json",
            ".jsonl" or ".ndjson" => "JsonLines",
            var other => throw parameters.Error("File", $"cannot tell the format of '{file}' from its extension '{other}' (expected .csv, .json or .jsonl)"),
        };

        var fileParameters = new NodeParameters(
            ParamNode.Section(new[]
            {
                new KeyValuePair<string, ParamNode>("Path", ParamNode.Leaf(file)),
                new KeyValuePair<string, ParamNode>("Delimiter", ParamNode.Leaf(kind == "Csv" && file.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? "\t" : ",")),
            }),
            parameters.PathOf("File"),
            parameters.BaseDirectory);
        ISource source;
        try
        {
            source = kind switch
            {
                "Csv" => new CsvSource(fileParameters),
                // Lookup has no logger of its own yet: warnings about numbers kept as text are not shown here.
                "Json" => new JsonSource(fileParameters, NullLogger.Instance),
                _ => new JsonLinesSource(fileParameters, NullLogger.Instance),
            };
        }
        catch (FlowConfigurationException ex)
        {
            // The inner source names its own "Path" parameter; the user wrote "File".
            throw parameters.Error("File", string.Join("; ", ex.Errors.Select(e => e.Message)));
        }

        var rows = new Dictionary<string, (string, object?)[]>(StringComparer.Ordinal);
        try
        {
            // Built once, when the pipeline is planned: the table is small next to the stream it enriches.
            var enumerator = source.ReadAsync(CancellationToken.None).GetAsyncEnumerator();
            try
            {
                while (enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                    var row = enumerator.Current;
                    var key = NumberText.Format(row[on]);
                    if (key is not null && !rows.ContainsKey(key))
                    {
                        rows[key] = row.Where(f => !string.Equals(f.Key, on, StringComparison.Ordinal))
                            .Select(f => (_prefix + f.Key, f.Value)).ToArray();
                    }
                }
            }
            finally
            {
                enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is FormatException or IOException or System.Text.Json.JsonException)
        {
            throw parameters.Error("File", $"cannot read '{file}': {ex.Message}");
        }

        if (rows.Count == 0)
        {
            throw parameters.Error("On", $"no row of '{file}' has a field '{on}'");
        }

        return rows;
    }
}
