using Flow.Batches;
using Flow.Parameters;
using Flow.Pipelines;
using Flow.Serialization;
using Flow.Sources.BuiltIn;
using Microsoft.Extensions.Logging;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Lookup</c>: joins each record with the row of <c>File</c> (CSV, JSON array or JSON Lines,
/// by extension) whose <c>On</c> field equals the record's <c>Key</c> field, adding that row's other
/// fields under <c>Prefix</c>. Keys compare as text, so 123 matches "123". When no row matches,
/// <c>Required</c> decides: <c>Keep</c> (default: the record passes unchanged), <c>Drop</c> or <c>Fail</c>.
/// The first row wins when the file repeats a key. The file is read once: the bytes that are
/// joined are the bytes whose hash joins the step's cache signature.
/// </summary>
internal sealed class LookupStep : RecordStep, IAsyncInitializable
{
    /// <summary>Its behaviour version: its own, and the readers' (their type inference decides the joined values).</summary>
    public static readonly string Behaviour = $"1+csv.{CsvRecordReader.BehaviourVersion}+json.{JsonRecordReader.BehaviourVersion}";

    private readonly NodeParameters _parameters;
    private readonly ILogger _logger;
    private readonly string _file;
    private readonly string _on;
    private readonly string _key;
    private readonly string _prefix;
    private readonly MissingPolicy _required;
    private Dictionary<string, (string Name, object? Value)[]> _rows = new(StringComparer.Ordinal);

    public LookupStep(NodeParameters parameters, ILogger logger)
    {
        // Every parameter is asked for before any can fail, so none is reported as unknown.
        var file = parameters.GetPath("File");
        var key = parameters.GetString("Key");
        var on = parameters.GetString("On");
        _prefix = parameters.GetString("Prefix", string.Empty)!;
        var required = parameters.GetString("Required", nameof(MissingPolicy.Keep))!;
        if (file is null)
        {
            throw parameters.Error("File", "is required");
        }

        if (InputFile.Problem(file) is { } problem)
        {
            throw parameters.Error("File", problem);
        }

        parameters.DeclareInputFiles([file]);
        _key = string.IsNullOrWhiteSpace(key) ? throw parameters.Error("Key", "is required") : key;
        on = string.IsNullOrWhiteSpace(on) ? throw parameters.Error("On", "is required") : on;
        if (!Enum.TryParse(required, ignoreCase: true, out _required) || int.TryParse(required, out _))
        {
            throw parameters.Error("Required", $"'{required}' is not Keep, Drop or Fail");
        }

        _parameters = parameters;
        _logger = logger;
        _file = file;
        _on = on;
    }

    /// <summary>Reads the table, once, when the pipeline is planned (or a later run builds the step again).</summary>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(_file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _parameters.Error("File", $"cannot read '{_file}': {ex.Message}");
        }

        // The join is only as fresh as the file: an edited file must not replay old joins.
        _parameters.DependsOnContent("File", content);
        _rows = Load(_parameters, _file, content, _on, _logger);
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

    private Dictionary<string, (string Name, object? Value)[]> Load(NodeParameters parameters, string file, byte[] content, string on, ILogger logger)
    {
        var extension = Path.GetExtension(file).ToLowerInvariant();
        if (extension is not (".csv" or ".tsv" or ".json" or ".jsonl" or ".ndjson"))
        {
            throw parameters.Error("File", $"cannot tell the format of '{file}' from its extension '{extension}' (expected .csv, .tsv, .json or .jsonl)");
        }

        var rows = new Dictionary<string, (string, object?)[]>(StringComparer.Ordinal);
        var onFound = false;
        try
        {
            // Built once, when the pipeline is planned: the table is small next to the stream it enriches.
            using var stream = new MemoryStream(content, writable: false);
            foreach (var row in Parse(extension, stream, file, on, logger))
            {
                onFound |= row.Contains(on);
                var key = NumberText.Format(row[on]);
                if (key is not null && !rows.ContainsKey(key))
                {
                    rows[key] = row.Where(f => !string.Equals(f.Key, on, StringComparison.Ordinal))
                        .Select(f => (_prefix + f.Key, f.Value)).ToArray();
                }
            }
        }
        catch (FormatException ex) when (!onFound && ex.Message.Contains("TextColumns", StringComparison.Ordinal))
        {
            throw parameters.Error("On", $"'{file}' has no column '{on}'");
        }
        catch (FormatException ex)
        {
            throw parameters.Error("File", $"cannot read '{file}': {ex.Message}");
        }

        if (rows.Count == 0)
        {
            throw parameters.Error("On", onFound ? $"no row of '{file}' has a value in '{on}'" : $"no row of '{file}' has a field '{on}'");
        }

        return rows;
    }

    private static IEnumerable<Record> Parse(string extension, MemoryStream stream, string file, string on, ILogger logger)
    {
        if (extension is ".json")
        {
            return JsonArrayReader.Read(stream, file, logger);
        }

        if (extension is ".jsonl" or ".ndjson")
        {
            return JsonLinesReader.Read(stream, file, logger);
        }

        // Keys compare as text: the key column stays as written ("1.50" is not "1.5"). Over a
        // MemoryStream the reader completes synchronously, so blocking on it here costs nothing.
        var options = new CsvReadOptions { Delimiter = extension == ".tsv" ? "\t" : ",", TextColumns = [on] };
        return CsvRecordReader.ReadAsync(stream, file, options, CancellationToken.None).ToBlockingEnumerable();
    }
}
