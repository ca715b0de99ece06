using System.Buffers;
using System.Text;
using Flow.Batches;
using Flow.Serialization;

namespace Flow.Tests.Serialization;

public sealed class BatchSerializerTests
{
    [Fact]
    public void Serialize_EveryValueKind_RoundTrips()
    {
        var records = new List<Record> { EveryKind(), EveryKind() };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(-128L)]
    [InlineData(-129L)]
    [InlineData(1023L)]
    [InlineData(1024L)]
    [InlineData(int.MaxValue + 1L)]
    public void Serialize_LongBoundaries_RoundTrip(long value)
    {
        var records = new List<Record> { new() { ["n"] = value } };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        Assert.Equal(value, Assert.IsType<long>(back[0]["n"]));
    }

    public static TheoryData<double> EdgeDoubles => new()
    {
        -0.0, 0.0, double.Epsilon, double.MaxValue, double.MinValue, 0.1,
    };

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Serialize_NonFiniteDoubleInAList_IsWrittenAsTheTextARecordKeepsItAs(double value, string text)
    {
        // Added to a list after the record normalized it: the writer applies the same value model.
        var list = new List<object?>();
        var records = new List<Record> { new() { ["d"] = value, ["l"] = list } };
        list.Add(value);

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        Assert.Equal(text, back[0]["d"]);
        Assert.Equal(new List<object?> { text }, back[0]["l"]);
    }

    [Fact]
    public void Deserialize_NonFiniteDouble_ThrowsFormatException()
    {
        byte[] bytes = [BatchSerializer.FormatVersion, 1, 1, (byte)'d', 1, 1, 0, BatchSerializer.TagDouble, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F];

        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes));
        Assert.Contains("NaN", ex.Message);
    }

    [Theory]
    [MemberData(nameof(EdgeDoubles))]
    public void Serialize_DoubleEdgeValues_KeepTheirBits(double value)
    {
        var records = new List<Record> { new() { ["d"] = value } };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(Assert.IsType<double>(back[0]["d"])));
    }

    [Fact]
    public void Serialize_EmptyBatch_RoundTripsInThreeBytes()
    {
        var bytes = BatchSerializer.Serialize([]);

        Assert.Equal(new byte[] { BatchSerializer.FormatVersion, 0, 0 }, bytes);
        Assert.Empty(BatchSerializer.Deserialize(bytes));
    }

    [Fact]
    public void Serialize_EmptyRecord_RoundTrips()
    {
        var records = new List<Record> { new(), new() { ["a"] = 1L }, new() };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Fact]
    public void Serialize_UnicodeNamesAndValues_RoundTrip()
    {
        var records = new List<Record>
        {
            new() { ["città"] = "Zürich → 東京 🚀", ["emoji 🙂"] = new string('é', 5000), [""] = "" },
        };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Fact]
    public void Serialize_SameRecordsTwice_GivesSameBytes()
    {
        var first = BatchSerializer.Serialize([EveryKind(), Flight(1)]);
        var second = BatchSerializer.Serialize([EveryKind(), Flight(1)]);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Serialize_LongTwoAndDoubleTwo_GiveDifferentBytes()
    {
        var asLong = BatchSerializer.Serialize([new Record { ["x"] = 2L }]);
        var asDouble = BatchSerializer.Serialize([new Record { ["x"] = 2.0 }]);

        Assert.NotEqual(asLong, asDouble);
    }

    [Fact]
    public void Serialize_SameFieldsInOtherOrder_GiveDifferentBytes()
    {
        var ab = BatchSerializer.Serialize([new Record { ["a"] = 1L, ["b"] = 2L }]);
        var ba = BatchSerializer.Serialize([new Record { ["b"] = 2L, ["a"] = 1L }]);

        Assert.NotEqual(ab, ba);
    }

    [Fact]
    public void Serialize_ManyRecords_WritesEachFieldNameOnce()
    {
        var records = Enumerable.Range(0, 100).Select(Flight).ToList();

        var bytes = BatchSerializer.Serialize(records);

        Assert.Equal(1, Occurrences(bytes, "destination"u8));
    }

    [Fact]
    public void Serialize_RecordsWithVaryingLayouts_RoundTrip()
    {
        var records = new List<Record>
        {
            new() { ["a"] = 1L, ["b"] = 2L },
            new() { ["b"] = 3L, ["a"] = 4L },
            new() { ["a"] = 5L },
            new() { ["c"] = 6L, ["a"] = 7L, ["b"] = 8L },
            new() { ["a"] = new Record { ["b"] = new Record { ["a"] = 9L } } },
        };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Fact]
    public void Serialize_ManyDistinctShortStrings_RoundTrip()
    {
        // More distinct short values than the reader's per-batch string table has slots, with repeats,
        // so slots are reused and replaced: every value must still come back exactly.
        var records = Enumerable.Range(0, 3000)
            .Select(i => new Record { ["code"] = ((i * 7919) % 1500).ToString("x3"), ["mixed"] = i % 3 == 0 ? "é" + (i % 10) : "e" + (i % 10) })
            .ToList();

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Fact]
    public void Serialize_ListHoldingClrInts_MatchesListOfLongs()
    {
        var ints = BatchSerializer.Serialize([new Record { ["l"] = new List<object?> { 1, (short)2, (byte)3, 4m, 5UL } }]);
        var longs = BatchSerializer.Serialize([new Record { ["l"] = new List<object?> { 1L, 2L, 3L, 4L, 5L } }]);

        Assert.Equal(longs, ints);
    }

    [Fact]
    public void Write_ToBufferWriter_GivesSameBytesAsSerialize()
    {
        var records = new List<Record> { EveryKind(), Flight(7) };
        var buffer = new ArrayBufferWriter<byte>(1);

        BatchSerializer.Write(records, buffer);

        Assert.Equal(BatchSerializer.Serialize(records), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Serialize_NestingAtMaxDepth_RoundTrips()
    {
        var records = new List<Record> { new() { ["v"] = NestedLists(BatchSerializer.MaxDepth) } };

        var back = BatchSerializer.Deserialize(BatchSerializer.Serialize(records));

        RecordAssert.Equal(records, back);
    }

    [Fact]
    public void Serialize_NestingBeyondMaxDepth_ThrowsArgumentException()
    {
        var records = new List<Record> { new() { ["v"] = NestedLists(BatchSerializer.MaxDepth + 1) } };

        Assert.Throws<ArgumentException>(() => BatchSerializer.Serialize(records));
    }

    [Fact]
    public void Serialize_RecordContainingItself_ThrowsArgumentException()
    {
        var record = new Record();
        record["self"] = record;

        Assert.Throws<ArgumentException>(() => BatchSerializer.Serialize([record]));
    }

    [Theory]
    [InlineData("value")]
    [InlineData("name")]
    public void Serialize_UnpairedSurrogate_ThrowsArgumentException(string where)
    {
        var lone = "a\ud800b";
        var record = where == "name" ? new Record { [lone] = 1L } : new Record { ["s"] = lone };

        Assert.Throws<ArgumentException>(() => BatchSerializer.Serialize([record]));
    }

    [Fact]
    public void Deserialize_NestingBeyondMaxDepth_ThrowsFormatException()
    {
        // version, 1 name "v", 1 record with 1 field: v = list[list[...[null]]] one level too deep.
        var bytes = new List<byte> { BatchSerializer.FormatVersion, 1, 1, (byte)'v', 1, 1, 0 };
        for (var i = 0; i < BatchSerializer.MaxDepth + 1; i++)
        {
            bytes.AddRange([BatchSerializer.TagList, 1]);
        }

        bytes.Add(BatchSerializer.TagNull);

        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes.ToArray()));
        Assert.Contains("nest", ex.Message);
    }

    [Fact]
    public void Deserialize_EveryTruncation_ThrowsFormatException()
    {
        var bytes = BatchSerializer.Serialize([EveryKind(), Flight(3), new Record()]);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(prefix));
        }
    }

    [Fact]
    public void Deserialize_RandomByteFlips_ThrowNothingButFormatException()
    {
        var original = BatchSerializer.Serialize([EveryKind(), Flight(3), Flight(4)]);
        var random = new Random(20240611);

        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var bytes = (byte[])original.Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                BatchSerializer.Deserialize(bytes);
            }
            catch (FormatException)
            {
                // Expected for most flips; some flips give another valid payload.
            }
        }
    }

    [Fact]
    public void Deserialize_HugeCount_ThrowsFormatExceptionWithoutAllocating()
    {
        // A name count of int.MaxValue in a 6-byte payload.
        byte[] bytes = [2, 0xFF, 0xFF, 0xFF, 0xFF, 0x07];

        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes));
        Assert.Contains("name count", ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(new byte[] { 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(new byte[] { 2, 0x80, 0x00, 0 })]
    public void Deserialize_BadVarint_ThrowsFormatException(byte[] bytes)
    {
        Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes));
    }

    [Fact]
    public void Deserialize_UnknownVersion_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize([1, 0, 0]));
        Assert.Contains("version 1", ex.Message);
    }

    [Fact]
    public void Deserialize_TrailingBytes_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => BatchSerializer.Deserialize([2, 0, 0, 0]));
    }

    [Fact]
    public void Deserialize_UnknownTag_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize([2, 1, 1, (byte)'a', 1, 1, 0, 0x42]));
        Assert.Contains("tag", ex.Message);
    }

    [Fact]
    public void Deserialize_NameIndexOutsideTable_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => BatchSerializer.Deserialize([2, 1, 1, (byte)'a', 1, 1, 1, BatchSerializer.TagNull]));
    }

    [Fact]
    public void Deserialize_DuplicateFieldInRecord_ThrowsFormatException()
    {
        byte[] bytes = [2, 1, 1, (byte)'a', 1, 2, 0, BatchSerializer.TagNull, 0, BatchSerializer.TagNull];

        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes));
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void Deserialize_InvalidUtf8_ThrowsFormatException()
    {
        byte[] bytes = [2, 1, 1, (byte)'a', 1, 1, 0, BatchSerializer.TagString, 2, 0xC3, 0x28];

        var ex = Assert.Throws<FormatException>(() => BatchSerializer.Deserialize(bytes));
        Assert.Contains("UTF-8", ex.Message);
    }

    [Fact]
    public void Deserialize_HandWrittenPayload_ReadsDocumentedLayout()
    {
        // The example of docs/cache-format.md: [{"id": -2, "ok": true, "tags": ["x", 1.5]}]
        byte[] bytes =
        [
            2,                                  // version
            3, 2, (byte)'i', (byte)'d', 2, (byte)'o', (byte)'k', 4, (byte)'t', (byte)'a', (byte)'g', (byte)'s',
            1,                                  // one record
            3,                                  // three fields
            0, BatchSerializer.TagLong, 3,      // id = zig-zag(-2) = 3
            1, BatchSerializer.TagTrue,         // ok = true
            2, BatchSerializer.TagList, 2, BatchSerializer.TagString, 1, (byte)'x',
            BatchSerializer.TagDouble, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,
        ];

        var records = BatchSerializer.Deserialize(bytes);

        var expected = new Record { ["id"] = -2L, ["ok"] = true, ["tags"] = new List<object?> { "x", 1.5 } };
        RecordAssert.Equal([expected], records);
        Assert.Equal(bytes, BatchSerializer.Serialize(records));
    }

    internal static Record Flight(int i) => new()
    {
        ["date"] = $"2001/01/{(i % 28) + 1:00} {i % 24:00}:{i % 60:00}",
        ["delay"] = (long)((i * 37 % 400) - 60),
        ["distance"] = (long)(100 + (i * 131 % 2900)),
        ["origin"] = Airports[i % Airports.Length],
        ["destination"] = Airports[(i * 7 + 3) % Airports.Length],
    };

    private static readonly string[] Airports = ["ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO", "EWR", "CLT", "PHX", "IAH", "MIA", "BOS", "MSP", "DTW", "FLL", "PHL"];

    private static Record EveryKind() => new()
    {
        ["null"] = null,
        ["true"] = true,
        ["false"] = false,
        ["zero"] = 0L,
        ["min"] = long.MinValue,
        ["max"] = long.MaxValue,
        ["small"] = -7L,
        ["big"] = 123_456_789_012L,
        ["pi"] = Math.PI,
        ["negzero"] = -0.0,
        ["nan"] = double.NaN,
        ["inf"] = double.NegativeInfinity,
        ["two"] = 2.0,
        ["empty"] = "",
        ["text"] = "héllo wörld — 日本語 🎉",
        ["long text"] = string.Concat(Enumerable.Repeat("abc→", 100)),
        ["nested"] = new Record
        {
            ["inner"] = 1L,
            ["deeper"] = new Record { ["list"] = new List<object?> { 1L, "two", 3.0, null, false } },
            ["empty record"] = new Record(),
        },
        ["list"] = new List<object?>
        {
            1L,
            2.5,
            "s",
            null,
            true,
            new Record { ["k"] = "v" },
            new List<object?> { new List<object?>(), 9L },
        },
        ["empty list"] = new List<object?>(),
    };

    private static object NestedLists(int depth)
    {
        object? value = "leaf";
        for (var i = 0; i < depth; i++)
        {
            value = new List<object?> { value };
        }

        return value;
    }

    private static int Occurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        int index;
        while ((index = haystack.IndexOf(needle)) >= 0)
        {
            count++;
            haystack = haystack[(index + needle.Length)..];
        }

        return count;
    }
}
