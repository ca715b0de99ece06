using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sources.BuiltIn;

/// <summary>Source <c>JsonLines</c>: one JSON object per line; blank lines are skipped.</summary>
internal sealed class JsonLinesSource : ISource
{
    private readonly IReadOnlyList<string> _files;

    public JsonLinesSource(NodeParameters parameters) => _files = FileGlob.Resolve(parameters);

    public async IAsyncEnumerable<Record> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            await using var stream = FileGlob.OpenRead(file);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var lineNumber = 0L;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                Record record;
                try
                {
                    record = RecordJson.Parse(Encoding.UTF8.GetBytes(line));
                }
                catch (Exception ex) when (ex is JsonException or FormatException)
                {
                    throw new FormatException($"{file}:{lineNumber}: {ex.Message}", ex);
                }

                yield return record;
            }
        }
    }
}
