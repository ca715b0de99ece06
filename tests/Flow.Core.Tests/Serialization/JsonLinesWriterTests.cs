using System.Buffers;
using System.Text;
using Flow.Serialization;

namespace Flow.Core.Tests.Serialization;

/// <summary>
/// The JSON Lines writer writes its bytes itself: they must be exactly those of <see cref="RecordJson"/>
/// (System.Text.Json's writer with the relaxed encoder), for every kind of value and every character.
/// </summary>
public sealed class JsonLinesWriterTests
{
    [Fact]
    public void Write_EveryCharacterAndTrickyNumbers_SameBytesAsUtf8JsonWriter()
    {
        var records = new List<Record>();
        for (var c = 0; c < 0x3000; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            // The character alone, inside text, and as a field name.
            records.Add(new Record { ["s"] = ((char)c).ToString(), ["t"] = $"ab{(char)c}cd", [$"k{(char)c}"] = c });
        }

        records.Add(new Record { ["emoji"] = "flight \U0001F6EB to Zürich \"Kloten\" <&> 'x' + `y`", ["tab"] = "a\tb\r\n\u007f\u0085\u2028\u2029\ufeff" });
        var random = new Random(7);
        var doubles = new List<object?> { 0.0, -0.0, 0.1, 1.1, 1e20, 1e21, 1e-7, 123456789012345678.0, double.MaxValue, double.MinValue, double.Epsilon, 5e-324, 1.7976931348623157e308, 2.5, -1.5e-10 };
        for (var i = 0; i < 2000; i++)
        {
            doubles.Add(BitConverter.Int64BitsToDouble(random.NextInt64()) is var d && double.IsFinite(d) ? d : 1.0);
            doubles.Add(Math.Round(random.NextDouble() * 1000, random.Next(0, 6)));
        }

        records.Add(new Record { ["doubles"] = doubles });
        records.Add(new Record { ["longs"] = new List<object?> { 0L, -1L, long.MinValue, long.MaxValue, 1023L, 1024L, -129L }, ["bools"] = new List<object?> { true, false, null } });
        records.Add(new Record
        {
            ["nested"] = new Record { ["a"] = new Record { ["b"] = new List<object?> { new Record(), new List<object?>(), "" } } },
            ["odd"] = new List<object?> { 3, 2.5f, 7m, double.NaN, double.PositiveInfinity },
        });
        records.Add(new Record());

        // Field layouts that change from record to record (the writer keeps names by position).
        records.Add(new Record { ["x"] = 1L, ["y"] = 2L });
        records.Add(new Record { ["y"] = 1L, ["x"] = 2L });
        records.Add(new Record { ["x"] = 1L });

        Assert.Equal(Expected(records), Written(records));
    }

    [Fact]
    public void Write_LargeBatch_SameBytesAcrossBufferGrowth()
    {
        var records = Enumerable.Range(0, 5000).Select(i => new Record { ["id"] = (long)i, ["text"] = new string('x', i % 300) + "é", ["v"] = i / 7.0 }).ToList();

        Assert.Equal(Expected(records), Written(records));
    }

    private static string Written(IReadOnlyList<Record> records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonLinesWriter.Write(records, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Expected(IReadOnlyList<Record> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = RecordJson.CreateWriter(buffer))
            {
                RecordJson.Write(writer, record);
            }

            text.Append(Encoding.UTF8.GetString(buffer.WrittenSpan)).Append('\n');
        }

        return text.ToString();
    }
}
