using System.Runtime.CompilerServices;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;
using Microsoft.Extensions.Logging;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Source <c>JsonLines</c>: exactly one JSON object per line, blank lines skipped, read strictly by
/// <see cref="JsonLinesReader"/>.
/// </summary>
internal sealed class JsonLinesSource : ISource
{
    private readonly IReadOnlyList<string> _files;
    private readonly ILogger _logger;

    public JsonLinesSource(NodeParameters parameters, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _files = FileGlob.Resolve(parameters);
        _logger = logger;
    }

    public async IAsyncEnumerable<Record> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            await using var stream = FileGlob.OpenRead(file);
            await foreach (var record in JsonLinesReader.ReadAsync(stream, file, _logger, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }
}
