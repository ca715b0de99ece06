using System.Runtime.CompilerServices;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;
using Microsoft.Extensions.Logging;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Source <c>Json</c>: files holding one JSON array of objects, streamed (the array is never loaded
/// whole) and read strictly by <see cref="JsonArrayReader"/>.
/// </summary>
internal sealed class JsonSource : ISource
{
    private readonly IReadOnlyList<string> _files;
    private readonly ILogger _logger;

    public JsonSource(NodeParameters parameters, ILogger logger)
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
            await foreach (var record in JsonArrayReader.ReadAsync(stream, file, _logger, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }
}
