using System.Buffers;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>Writes records as JSON Lines into a buffer: whole lines only.</summary>
internal static class JsonLinesWriter
{
    public static void Write(IReadOnlyList<Record> records, IBufferWriter<byte> output)
    {
        using var writer = RecordJson.CreateWriter(output);
        foreach (var record in records)
        {
            RecordJson.Write(writer, record);
            writer.Flush();
            writer.Reset(output);
            output.Write("\n"u8);
        }
    }
}
