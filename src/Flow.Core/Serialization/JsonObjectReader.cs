using System.Text.Json;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// Reads one whole JSON object held in memory (a stream entry's field) as a record, by the same rules
/// as the file readers (<see cref="JsonRecordReader"/>): strict JSON, exact numbers, no repeated keys.
/// Whitespace, line ends included, may surround and fill the object; anything else after it is an error.
/// One instance reads many objects, one at a time (not thread-safe).
/// </summary>
internal sealed class JsonObjectReader
{
    private readonly JsonRecordReader _records;

    public JsonObjectReader(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _records = new JsonRecordReader(new JsonTextBuffer(Stream.Null, "", 4), logger);
    }

    /// <summary>Reads <paramref name="json"/> as one object.</summary>
    /// <param name="json">UTF-8 JSON text.</param>
    /// <param name="displayName">What messages call it, e.g. <c>stream events entry 1700000000000-0</c>; asked for only when a message is written.</param>
    /// <exception cref="FormatException">It is not exactly one JSON object a record can hold exactly.</exception>
    public Record Read(byte[] json, Func<string> displayName)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var text = new JsonTextBuffer(json, displayName);
        var span = text.Unconsumed;
        var origin = text.Start;
        if (span.IndexOfAnyExcept(JsonRecordReader.Whitespace) < 0)
        {
            throw text.Error(origin, "expected a JSON object, found nothing");
        }

        _records.Use(text);
        _records.Origin = origin;
        var reader = new Utf8JsonReader(span, isFinalBlock: true, new JsonReaderState(JsonRecordReader.ReaderOptions));
        Record record;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw text.Error(origin + (int)reader.TokenStartIndex, $"expected an object, found {JsonRecordReader.Describe(reader.TokenType)}");
            }

            if (!_records.TryRead(ref reader, out record))
            {
                throw text.Error(origin + span.Length, "the text ends before the object is closed");
            }
        }
        catch (JsonException ex)
        {
            // One reader over the whole text: its position is a line of the text and a byte in it.
            var index = text.IndexOfReaderPosition(ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0);
            throw text.Error(index, JsonRecordReader.DescribeSyntaxError(ex, text, index), ex);
        }

        var after = (int)reader.BytesConsumed;
        var extra = span[after..].IndexOfAnyExcept(JsonRecordReader.Whitespace);
        if (extra >= 0)
        {
            var index = origin + after + extra;
            throw text.Error(index, $"unexpected content after the object ('{text.Excerpt(index)}')");
        }

        return record;
    }
}
