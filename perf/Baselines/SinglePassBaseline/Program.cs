using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Flow.Perf.Baselines;

/// <summary>
/// Baseline (b) of <c>Flow.Perf all</c>: the practical limit, one <c>Utf8JsonReader</c> pass over the
/// file with no records in between, written straight back with a <c>Utf8JsonWriter</c>.
/// <c>flights IN.json OUT.jsonl</c>: scenario 1's work (a JSON array of flights; keep <c>delay &gt; 15</c>;
/// write <c>date, route = origin-destination, delay_hours = round(delay / 60, 2), distance</c>), the same
/// bytes as Flow's pipeline. <c>filter IN.jsonl OUT.jsonl</c>: scenario 2's (JSON Lines; keep the lines
/// whose <c>delay &gt; 15</c>, as they are).
/// </summary>
/// <remarks>Prints "records in, records out, seconds".</remarks>
public static class Program
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private enum Field
    {
        None,
        Date,
        Delay,
        Distance,
        Origin,
        Destination,
    }

    public static int Main(string[] args)
    {
        if (args.Length != 3 || args[0] is not ("flights" or "filter"))
        {
            Console.Error.WriteLine("usage: Flow.Perf.SinglePassBaseline flights|filter IN OUT.jsonl");
            return 2;
        }

        var started = Stopwatch.GetTimestamp();
        var (read, written) = args[0] == "flights" ? Flights(args[1], args[2]) : Filter(args[1], args[2]);
        Console.WriteLine($"{read} {written} {Stopwatch.GetElapsedTime(started).TotalSeconds:F3}");
        return 0;
    }

    /// <summary>The JSON array streamed through one reader (refilled in 64 KB reads), each kept flight written as it ends.</summary>
    private static (long Read, long Written) Flights(string input, string output)
    {
        using var file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var outFile = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        var sink = new ArrayBufferWriter<byte>(1 << 17);
        using var writer = new Utf8JsonWriter(sink, WriterOptions);

        var buffer = new byte[1 << 16];
        var filled = 0;
        var final = false;
        var state = default(JsonReaderState);
        var field = Field.None;
        Span<byte> date = stackalloc byte[256];
        Span<byte> route = stackalloc byte[513];
        int dateLength = 0, originLength = 0, destinationLength = 0;
        long delay = 0, distance = 0, read = 0, written = 0;
        Span<byte> destination = stackalloc byte[256];

        while (true)
        {
            if (!final)
            {
                var n = file.Read(buffer, filled, buffer.Length - filled);
                final = n == 0;
                filled += n;
            }

            var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 2:
                        field = reader.ValueTextEquals("date"u8) ? Field.Date
                            : reader.ValueTextEquals("delay"u8) ? Field.Delay
                            : reader.ValueTextEquals("distance"u8) ? Field.Distance
                            : reader.ValueTextEquals("origin"u8) ? Field.Origin
                            : reader.ValueTextEquals("destination"u8) ? Field.Destination
                            : Field.None;
                        break;
                    case JsonTokenType.String or JsonTokenType.Number when reader.CurrentDepth == 2:
                        switch (field)
                        {
                            case Field.Date:
                                dateLength = reader.CopyString(date);
                                break;
                            case Field.Delay:
                                delay = reader.GetInt64();
                                break;
                            case Field.Distance:
                                distance = reader.GetInt64();
                                break;
                            case Field.Origin:
                                originLength = reader.CopyString(route);
                                break;
                            case Field.Destination:
                                destinationLength = reader.CopyString(destination);
                                break;
                        }

                        field = Field.None;
                        break;
                    case JsonTokenType.EndObject when reader.CurrentDepth == 1:
                        read++;
                        if (delay > 15)
                        {
                            route[originLength] = (byte)'-';
                            destination[..destinationLength].CopyTo(route[(originLength + 1)..]);
                            writer.WriteStartObject();
                            writer.WriteString("date"u8, date[..dateLength]);
                            writer.WriteString("route"u8, route[..(originLength + 1 + destinationLength)]);
                            writer.WriteNumber("delay_hours"u8, Math.Round(delay / 60.0, 2, MidpointRounding.AwayFromZero));
                            writer.WriteNumber("distance"u8, distance);
                            writer.WriteEndObject();
                            writer.Flush();
                            writer.Reset(sink);
                            sink.Write("\n"u8);
                            written++;
                            if (sink.WrittenCount > 1 << 16)
                            {
                                outFile.Write(sink.WrittenSpan);
                                sink.ResetWrittenCount();
                                writer.Reset(sink);
                            }
                        }

                        break;
                }
            }

            if (final)
            {
                break;
            }

            var consumed = (int)reader.BytesConsumed;
            state = reader.CurrentState;
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }

        outFile.Write(sink.WrittenSpan);
        return (read, written);
    }

    /// <summary>JSON Lines: each line read by its own reader for its top-level <c>delay</c>; kept lines copied as they are.</summary>
    private static (long Read, long Written) Filter(string input, string output)
    {
        using var file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var outFile = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[1 << 20];
        var filled = 0;
        long read = 0, written = 0;
        while (true)
        {
            var n = file.Read(buffer, filled, buffer.Length - filled);
            var eof = n == 0;
            filled += n;
            var span = buffer.AsSpan(0, filled);
            var start = 0;
            while (start < filled)
            {
                var newline = span[start..].IndexOf((byte)'\n');
                if (newline < 0 && !eof)
                {
                    break;
                }

                var end = newline < 0 ? filled : start + newline;
                var line = span[start..end];
                start = Math.Min(end + 1, filled);
                if (line.IsEmpty)
                {
                    continue;
                }

                read++;
                if (Delay(line) > 15)
                {
                    outFile.Write(line);
                    outFile.WriteByte((byte)'\n');
                    written++;
                }
            }

            if (eof)
            {
                break;
            }

            span[start..].CopyTo(buffer);
            filled -= start;
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }

        return (read, written);
    }

    private static long Delay(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("delay"u8))
            {
                reader.Read();
                return reader.GetInt64();
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
            {
                reader.Skip();
            }
        }

        return long.MinValue;
    }
}
