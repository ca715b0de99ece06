using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// Records to JSON (reading is <see cref="JsonRecordReader"/>'s). Writing is deterministic (fields in record order, numbers in
/// round-trip form), so the same records always give the same bytes.
/// </summary>
internal static class RecordJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        SkipValidation = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJson(Record record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, record);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A list value as compact JSON (a CSV cell, a lookup key).</summary>
    public static string ToJson(List<object?> list)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteValue(writer, list);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, WriterOptions);

    public static Utf8JsonWriter CreateWriter(Stream output) => new(output, WriterOptions);

    public static void Write(Utf8JsonWriter writer, Record record)
    {
        writer.WriteStartObject();
        for (var i = 0; i < record.Count; i++)
        {
            writer.WritePropertyName(record.NameAt(i));
            WriteValue(writer, record.ValueAt(i));
        }

        writer.WriteEndObject();
    }

    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case Record r:
                Write(writer, r);
                break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                // A value a record's setter did not see (an item added to a list afterwards, NaN):
                // written as the record model holds it, the same way the cache's serializer does.
                WriteValue(writer, RecordValue.Normalize(value));
                break;
        }
    }
}
