using System.Runtime.CompilerServices;
using System.Text.Json;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sources.BuiltIn;

/// <summary>Source <c>Json</c>: files holding one JSON array of objects, streamed (the array is never loaded whole).</summary>
internal sealed class JsonSource : ISource
{
    private readonly IReadOnlyList<string> _files;

    public JsonSource(NodeParameters parameters) => _files = FileGlob.Resolve(parameters);

    public async IAsyncEnumerable<Record> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            await using var stream = FileGlob.OpenRead(file);
            var index = 0L;
            IAsyncEnumerator<JsonElement> items;
            try
            {
                items = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
            }
            catch (JsonException ex)
            {
                throw new FormatException($"{file}: {ex.Message}", ex);
            }

            await using (items.ConfigureAwait(false))
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await items.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (JsonException ex)
                    {
                        throw new FormatException($"{file}: not a JSON array of objects ({ex.Message})", ex);
                    }

                    if (!more)
                    {
                        break;
                    }

                    if (items.Current.ValueKind != JsonValueKind.Object)
                    {
                        throw new FormatException($"{file}: item {index} is {items.Current.ValueKind}, expected an object");
                    }

                    index++;
                    yield return RecordJson.FromElement(items.Current);
                }
            }
        }
    }
}
