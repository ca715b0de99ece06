using System.Text;
using Flow.Core.Tests;
using Flow.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Tests.Serialization;

/// <summary>
/// The JSON readers over streams (what the Json and JsonLines sources, and Lookup, read files with):
/// values, the number rule, strictness, buffer boundaries and the positions in messages.
/// </summary>
public sealed class JsonRecordReaderTests
{
    private const int Default = JsonTextBuffer.DefaultSize;

    // A text of every value kind, escapes, non-ASCII text and nesting: for reading at every buffer size.
    private static readonly string Mixed = string.Join("\n", new[]
    {
        """{"id":1,"name":"Zoë \"Z\" Ünal","tags":["a","b\\c",null,true,false],"geo":{"lat":-33.8688,"lon":151.2093,"alt":[1,[2,[3]]]}}""",
        """{"id":2,"name":"\u0041\u00e9\ud83d\ude00 日本","big":12345678901234567890,"neg":-0.0,"exp":1e5,"empty":{},"none":[]}""",
        """{"id":3,"long":"%LONG%","deep":{"a":{"b":{"c":{"d":[{"e":9223372036854775807}]}}}}}""",
    }).Replace("%LONG%", new string('x', 300), StringComparison.Ordinal) + "\n";

    [Fact]
    public async Task ReadAsync_ValuesOfEveryKind_BuildsRecordsListsAndScalars()
    {
        var record = Assert.Single(await ReadLinesAsync("""{"s":"x\u00e9\n","t":true,"f":false,"n":null,"i":42,"d":1.5,"o":{"a":[1,"b",null,{"c":[]}]},"e":{},"l":[]}"""));

        Assert.Equal(new[] { "s", "t", "f", "n", "i", "d", "o", "e", "l" }, record.Names);
        Assert.Equal("xé\n", record["s"]);
        Assert.Equal(true, record["t"]);
        Assert.Equal(false, record["f"]);
        Assert.True(record.Contains("n"));
        Assert.Null(record["n"]);
        Assert.Equal(42L, record["i"]);
        Assert.Equal(1.5, record["d"]);
        var o = Assert.IsType<Record>(record["o"]);
        var a = Assert.IsType<List<object?>>(o["a"]);
        Assert.Equal(1L, a[0]);
        Assert.Equal("b", a[1]);
        Assert.Null(a[2]);
        Assert.Empty(Assert.IsType<List<object?>>(Assert.IsType<Record>(a[3])["c"]));
        Assert.Equal(0, Assert.IsType<Record>(record["e"]).Count);
        Assert.Empty(Assert.IsType<List<object?>>(record["l"]));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("1.5", 1.5)]
    [InlineData("1e5", 100000.0)]
    [InlineData("1E-2", 0.01)]
    [InlineData("1.0", 1.0)]
    [InlineData("-2.5e+3", -2500.0)]
    [InlineData("1.7976931348623157e308", double.MaxValue)]
    [InlineData("9223372036854775808", "9223372036854775808")]
    [InlineData("-9223372036854775809", "-9223372036854775809")]
    [InlineData("12345678901234567890", "12345678901234567890")]
    [InlineData("1e400", "1e400")]
    [InlineData("-1e400", "-1e400")]
    [InlineData("1.8e308", "1.8e308")]
    public async Task ReadAsync_Number_FollowsTheOneRule(string literal, object expected)
    {
        var lines = Assert.Single(await ReadLinesAsync($$"""{"v":{{literal}}}"""));
        var array = Assert.Single(await ReadArrayAsync($$"""[{"v":{{literal}}}]"""));

        Assert.Equal(expected, lines["v"]);
        Assert.IsType(expected.GetType(), lines["v"]);
        Assert.Equal(expected, array["v"]);
        Assert.IsType(expected.GetType(), array["v"]);
    }

    [Fact]
    public async Task ReadAsync_NegativeZero_KeepsItsSign()
    {
        var record = Assert.Single(await ReadLinesAsync("""{"v":-0.0}"""));

        Assert.True(double.IsNegative(Assert.IsType<double>(record["v"])));
    }

    [Fact]
    public async Task ReadAsync_NumbersThatFitNoKind_WarnOncePerFileThenCountAtTheEnd()
    {
        var logger = new ListLogger();
        var records = await ReadLinesAsync("{\"a\":1}\n{\"id\":2,\"n\":[1,12345678901234567890]}\n{\"x\":1e400}\n{\"y\":-1e400}\n", logger: logger);

        Assert.Equal("12345678901234567890", Assert.IsType<List<object?>>(records[1]["n"])[1]);
        Assert.Equal("1e400", records[2]["x"]);
        Assert.Equal("-1e400", records[3]["y"]);
        Assert.Equal(
            new[]
            {
                "data.jsonl:2:16: field 'n[1]' holds the number 12345678901234567890, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file",
                "data.jsonl: 3 numbers that fit neither a 64-bit integer nor a double were kept as text",
            },
            logger.Warnings);
    }

    [Fact]
    public async Task ReadAsync_OneNumberThatFitsNoKind_WarnsOnceWithoutACount()
    {
        var logger = new ListLogger();
        await ReadArrayAsync("[{\"a\":{\"b\":1e999}}]", logger: logger);

        Assert.Equal(
            "data.json:1:12: field 'a.b' holds the number 1e999, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file",
            Assert.Single(logger.Warnings));
    }

    [Fact]
    public async Task ReadAsync_NumbersKeptAsTextInObjectsStraddlingRefills_AreCountedOnce()
    {
        // Every object is cut by the window at least once and read again: its numbers must not count twice.
        var text = "[" + string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"i":{{i}},"big":1{{i:D2}}345678901234567890123}""")) + "]";
        var logger = new ListLogger();

        var records = await ReadArrayAsync(text, bufferSize: 20, logger: logger);

        Assert.Equal(50, records.Count);
        Assert.Equal("107345678901234567890123", records[7]["big"]);
        Assert.Equal(2, logger.Warnings.Count);
        Assert.StartsWith("data.json:1:15: field 'big' holds the number 100345678901234567890123,", logger.Warnings[0], StringComparison.Ordinal);
        Assert.Equal("data.json: 50 numbers that fit neither a 64-bit integer nor a double were kept as text", logger.Warnings[1]);
    }

    [Fact]
    public async Task ReadAsync_RepeatedKey_FailsNamingPositionAndKey()
    {
        var lines = await LinesErrorAsync("{\"a\":1}\n{\"a\":1,\"a\":2}\n");
        var array = await ArrayErrorAsync("[{\"a\":1},\n {\"b\":{\"c\":1,\"c\":2}}]");

        Assert.Equal("data.jsonl:2:8: repeated key 'a'; a record holds one value per field, and JSON readers disagree on which one wins", lines.Message);
        Assert.Equal("data.json:2:14: repeated key 'c' in 'b'; a record holds one value per field, and JSON readers disagree on which one wins (item 1)", array.Message);
    }

    [Fact]
    public async Task ReadAsync_RepeatedKeyInAnObjectOfManyKeys_Fails()
    {
        var fields = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i}\":{i}"));
        var error = await LinesErrorAsync("{" + fields + ",\"k17\":0}");

        Assert.Contains("repeated key 'k17'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_DistinctKeysInAnObjectOfManyKeys_KeepsThemAllInOrder()
    {
        var fields = string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"k{i}\":{i}"));
        var record = Assert.Single(await ReadLinesAsync("{" + fields + "}"));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"k{i}"), record.Names);
        Assert.Equal(99L, record["k99"]);
    }

    [Theory]
    [InlineData("""{"name":"ab\ud800cd"}""", 12, "field 'name': the string holds '\\ud800'")]
    [InlineData("""{"name":"\udc00"}""", 10, "field 'name': the string holds '\\udc00'")]
    [InlineData("""{"name":"\ud83d\ude00\ud83dx"}""", 22, "field 'name': the string holds '\\ud83d'")]
    [InlineData("""{"o":{"l":["\\","\uDBFF"]}}""", 18, "field 'o.l[1]': the string holds '\\uDBFF'")]
    [InlineData("""{"k\ud800":1}""", 4, "a key: the string holds '\\ud800'")]
    public async Task ReadAsync_UnpairedSurrogateEscape_FailsAtTheEscape(string line, int column, string what)
    {
        var error = await LinesErrorAsync(line);

        Assert.Equal($"data.jsonl:1:{column}: {what}, an unpaired surrogate, which is not text a record can hold", error.Message);
    }

    [Fact]
    public async Task ReadAsync_SurrogatePairEscape_ReadsTheCharacter()
    {
        var record = Assert.Single(await ReadLinesAsync("""{"s":"\ud83d\ude00"}"""));

        Assert.Equal("😀", record["s"]);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8_FailsAtTheString()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"a\":1}\n{\"s\":\"ab\"}\n");
        bytes[14] = 0xFF;

        var error = await Assert.ThrowsAsync<FormatException>(() => ToListAsync(JsonLinesReader.ReadAsync(new MemoryStream(bytes), "data.jsonl", NullLogger.Instance, Default, default)));

        Assert.Equal("data.jsonl:2:6: field 's': the string is not valid UTF-8", error.Message);
    }

    [Fact]
    public async Task ReadAsync_NestingAtMaxDepth_ReadsAndSerializes()
    {
        var depth = BatchSerializer.MaxDepth;
        var line = "{\"v\":" + new string('[', depth) + new string(']', depth) + "}";

        var records = await ReadLinesAsync(line);

        RecordAssert.Equal(records, BatchSerializer.Deserialize(BatchSerializer.Serialize(records)));
    }

    [Fact]
    public async Task ReadAsync_NestingBeyondMaxDepth_FailsAtTheLevelTooDeep()
    {
        var depth = BatchSerializer.MaxDepth + 1;
        var lines = await LinesErrorAsync("{\"v\":" + new string('[', depth) + new string(']', depth) + "}");
        var array = await ArrayErrorAsync("[{\"v\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}]");

        Assert.Equal($"data.jsonl:1:70: field 'v{string.Concat(Enumerable.Repeat("[0]", 64))}': objects and arrays nest deeper than 64 levels inside a record, more than the cache can store", lines.Message);
        Assert.StartsWith("data.json:1:327: field 'v.a.a.", array.Message, StringComparison.Ordinal);
        Assert.EndsWith("': objects and arrays nest deeper than 64 levels inside a record, more than the cache can store (item 0)", array.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EveryBufferSize_GivesTheSameRecords()
    {
        // Small windows put a refill inside every string, escape, number, name and object of the text.
        var expectedLines = await ReadLinesAsync(Mixed);
        var arrayText = "[" + Mixed.TrimEnd('\n').Replace("\n", ",\n", StringComparison.Ordinal) + "]";
        var expectedArray = await ReadArrayAsync(arrayText);
        Assert.Equal(3, expectedLines.Count);
        RecordAssert.Equal(expectedLines, expectedArray);

        for (var size = 4; size <= 96; size++)
        {
            RecordAssert.Equal(expectedLines, await ReadLinesAsync(Mixed, size));
            RecordAssert.Equal(expectedLines, await ReadArrayAsync(arrayText, size));
        }

        Assert.Equal("A\u00e9😀 日本", expectedLines[1]["name"]);
        Assert.Equal(long.MaxValue, Assert.IsType<Record>(Assert.IsType<List<object?>>(((Record)((Record)((Record)((Record)expectedLines[2]["deep"]!)["a"]!)["b"]!)["c"]!)["d"])[0])["e"]);
    }

    [Fact]
    public async Task ReadAsync_StreamHandingOutOneByteAtATime_GivesTheSameRecords()
    {
        var expected = await ReadLinesAsync(Mixed);

        var lines = await ToListAsync(JsonLinesReader.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(Mixed)), "data.jsonl", NullLogger.Instance, 16, default));

        RecordAssert.Equal(expected, lines);
    }

    [Fact]
    public async Task ReadAsync_ObjectsLargerThanTheBuffer_AreReadWhole()
    {
        var items = Enumerable.Range(0, 20).Select(i => $$"""{"i":{{i}},"text":"{{new string((char)('a' + i), 5000 + i)}}","list":[{{string.Join(",", Enumerable.Range(0, 500))}}]}""").ToList();

        var array = await ReadArrayAsync("[" + string.Join(",", items) + "]", bufferSize: 64);
        var lines = await ReadLinesAsync(string.Join("\n", items), bufferSize: 64);

        Assert.Equal(20, array.Count);
        Assert.Equal(new string('t', 5019), array[19]["text"]);
        Assert.Equal(499L, Assert.IsType<List<object?>>(array[3]["list"])[499]);
        RecordAssert.Equal(array, lines);
    }

    [Fact]
    public async Task ReadAsync_LineOfSeveralMegabytes_IsReadWhole()
    {
        var big = new string('é', 3_000_000);
        var text = "{\"n\":1}\n{\"big\":\"" + big + "\",\"after\":true}\n{\"n\":3}";

        var records = await ReadLinesAsync(text);

        Assert.Equal(3, records.Count);
        Assert.Equal(big, records[1]["big"]);
        Assert.Equal(true, records[1]["after"]);
        Assert.Equal(3L, records[2]["n"]);
    }

    [Fact]
    public async Task ReadAsync_ByteOrderMark_IsSkippedAndNotCountedAsAColumn()
    {
        var records = await ReadLinesAsync("\uFEFF{\"a\":1}\n");
        var array = await ReadArrayAsync("\uFEFF[{\"a\":2}]");
        var error = await LinesErrorAsync("\uFEFF{\"a\":1} x");

        Assert.Equal(1L, Assert.Single(records)["a"]);
        Assert.Equal(2L, Assert.Single(array)["a"]);
        Assert.StartsWith("data.jsonl:1:9: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_CrlfBlankLinesAndNoFinalLineEnd_ReadsEveryObject()
    {
        var records = await ReadLinesAsync("{\"a\":1}\r\n\r\n   \t\r\n{\"a\":2}\r\n{\"a\":3}");

        Assert.Equal(new object[] { 1L, 2L, 3L }, records.Select(r => r["a"]!));
    }

    [Fact]
    public async Task ReadAsync_ErrorOnACrlfLine_CountsPhysicalLines()
    {
        var error = await LinesErrorAsync("{\"a\":1}\r\n\r\n{\"a\":}\r\n");

        Assert.Equal("data.jsonl:3:6: invalid JSON: '}' is an invalid start of a value", error.Message);
    }

    [Fact]
    public async Task ReadAsync_EmptyJsonLinesFile_HasNoRecords()
    {
        Assert.Empty(await ReadLinesAsync(string.Empty));
        Assert.Empty(await ReadLinesAsync("\n  \n"));
    }

    [Fact]
    public async Task ReadAsync_SyntaxErrorOnLineThree_NamesFileLineAndColumn()
    {
        var error = await LinesErrorAsync("{\"a\":1}\n\n{\"a\": garbage}\n{\"a\":4}\n");

        Assert.Equal("data.jsonl:3:7: invalid JSON: 'g' is an invalid start of a value", error.Message);
    }

    [Fact]
    public async Task ReadAsync_ContentAfterTheObject_FailsNamingIt()
    {
        var garbage = await LinesErrorAsync("{\"a\":1}\n{\"a\":2}\n{\"a\":1} garbage\n");
        var second = await LinesErrorAsync("{\"a\":3},{\"a\":4}");

        Assert.Equal("data.jsonl:3:9: unexpected content after the object ('garbage'); a JSON Lines line holds exactly one object", garbage.Message);
        Assert.Equal("data.jsonl:1:8: unexpected content after the object (',{\"a\":4}'); a JSON Lines line holds exactly one object", second.Message);
    }

    [Fact]
    public async Task ReadAsync_Comments_AreRejected()
    {
        var lineComment = await LinesErrorAsync("// header\n{\"a\":1}\n");
        var trailing = await LinesErrorAsync("{\"a\":1} // note\n");
        var inside = await LinesErrorAsync("{\"a\":1 /* note */}\n");
        var array = await ArrayErrorAsync("[\n  /* first */ {\"a\":1}\n]");

        Assert.Equal("data.jsonl:1:1: invalid JSON: '/' is an invalid start of a value; comments are not JSON", lineComment.Message);
        Assert.Equal("data.jsonl:1:9: unexpected content after the object ('// note'); a JSON Lines line holds exactly one object", trailing.Message);
        Assert.Equal("data.jsonl:1:8: invalid JSON: '/' is invalid after a value. Expected either ',', '}', or ']'; comments are not JSON", inside.Message);
        Assert.StartsWith("data.json:2:3: invalid JSON: ", array.Message, StringComparison.Ordinal);
        Assert.EndsWith("; comments are not JSON (item 0)", array.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2]", "data.jsonl:1:1: expected an object, found an array; a JSON Lines line holds exactly one object")]
    [InlineData("  \"text\"", "data.jsonl:1:3: expected an object, found a string; a JSON Lines line holds exactly one object")]
    [InlineData("{\"a\":\n1}", "data.jsonl:1:6: the line ends before the object is closed; a JSON Lines line holds exactly one whole object")]
    [InlineData("{\"a\":1,\"b\":", "data.jsonl:1:12: the line ends before the object is closed; a JSON Lines line holds exactly one whole object")]
    [InlineData("{\"a\":1,", "data.jsonl:1:8: the line ends before the object is closed; a JSON Lines line holds exactly one whole object")]
    [InlineData("{\"a\":1", "data.jsonl:1:7: the line ends before the object is closed; a JSON Lines line holds exactly one whole object")]
    public async Task ReadAsync_LineThatIsNotOneObject_Fails(string text, string message)
    {
        var error = await LinesErrorAsync(text);

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("", "data.json:1:1: the file is empty; expected a JSON array of objects")]
    [InlineData(" \n ", "data.json:2:2: the file holds no JSON value; expected a JSON array of objects")]
    [InlineData("{\"a\":1}", "data.json:1:1: expected a JSON array of objects, found an object (one object per line is the JsonLines source)")]
    [InlineData("\n 42", "data.json:2:2: expected a JSON array of objects, found a number")]
    [InlineData("[{\"a\":1}, 2]", "data.json:1:11: expected an object, found a number; a Json file holds an array of objects (item 1)")]
    [InlineData("[{\"a\":1},\n [3]]", "data.json:2:2: expected an object, found an array; a Json file holds an array of objects (item 1)")]
    [InlineData("[{\"a\":1}] x", "data.json:1:11: unexpected content after the closing ']' ('x'); a Json file holds exactly one array")]
    [InlineData("[{\"a\":1}]\n[{\"a\":2}]", "data.json:2:1: unexpected content after the closing ']' ('[{\"a\":2}]'); a Json file holds exactly one array")]
    [InlineData("[{\"a\":1},{\"a\":2", "data.json:1:16: the file ends before the object is closed (item 1)")]
    [InlineData("[{\"a\":1}\n", "data.json:2:1: the file ends before the array is closed with ']'")]
    [InlineData("[{\"a\":1},", "data.json:1:10: the file ends before the array is closed with ']'")]
    [InlineData("[{\"a\":1},]", "data.json:1:10: invalid JSON: a comma must be followed by a value; trailing commas are not JSON (item 1)")]
    [InlineData("[{\"a\":1} {\"a\":2}]", "data.json:1:10: invalid JSON: '{' is invalid after a value. Expected either ',', '}', or ']' (item 1)")]
    public async Task ReadAsync_ArrayFileThatIsNotOneArrayOfObjects_Fails(string text, string message)
    {
        var error = await ArrayErrorAsync(text);
        var smallBuffer = await ArrayErrorAsync(text, bufferSize: 4);

        Assert.Equal(message, error.Message);
        Assert.Equal(message, smallBuffer.Message);
    }

    [Fact]
    public async Task ReadAsync_TrailingWhitespaceAfterTheArray_IsAllowed()
    {
        var records = await ReadArrayAsync("[{\"a\":1}]\r\n\n  \t", bufferSize: 4);

        Assert.Equal(1L, Assert.Single(records)["a"]);
    }

    [Fact]
    public async Task ReadAsync_SyntaxErrorDeepInABigArrayFile_NamesLineColumnAndItemAfterRefills()
    {
        // One item a line, with non-ASCII text before the fault so that columns count characters, not bytes.
        var items = Enumerable.Range(0, 1000).Select(i => $$"""  {"i":{{i}},"city":"Zürich","v":{{i}}.5}""").ToList();
        items[734] = """  {"i":734,"city":"Zürich","v":12x}""";
        var text = "[\n" + string.Join(",\n", items) + "\n]\n";

        var small = await ArrayErrorAsync(text, bufferSize: 256);
        var large = await ArrayErrorAsync(text);

        Assert.Equal("data.json:736:34: invalid JSON: 'x' is an invalid end of a number. Expected a delimiter (item 734)", small.Message);
        Assert.Equal(small.Message, large.Message);
    }

    [Fact]
    public async Task ReadAsync_ErrorFarIntoASingleLineArray_CountsColumnsAcrossRefills()
    {
        var item = """{"city":"Zürich","n":1}""";
        var text = "[" + string.Join(",", Enumerable.Repeat(item, 300)) + ",{\"city\":\"Zürich\",\"n\":1,\"n\":2}]";
        var column = 1 + (300 * (item.Length + 1)) + 24;

        var error = await ArrayErrorAsync(text, bufferSize: 100);

        Assert.Equal($"data.json:1:{column}: repeated key 'n'; a record holds one value per field, and JSON readers disagree on which one wins (item 300)", error.Message);
    }

    [Fact]
    public async Task Read_Synchronously_GivesWhatReadAsyncGives()
    {
        var arrayText = "[" + Mixed.TrimEnd('\n').Replace("\n", ",", StringComparison.Ordinal) + "]";

        RecordAssert.Equal(await ReadLinesAsync(Mixed), JsonLinesReader.Read(Utf8(Mixed), "data.jsonl", NullLogger.Instance).ToList());
        RecordAssert.Equal(await ReadArrayAsync(arrayText), JsonArrayReader.Read(Utf8(arrayText), "data.json", NullLogger.Instance, 8).ToList());
    }

    [Fact]
    public async Task ReadAsync_CancelledToken_StopsWithOperationCanceled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(JsonArrayReader.ReadAsync(Utf8("[{\"a\":1}]"), "data.json", NullLogger.Instance, cancel.Token)));
    }

    [Fact]
    public async Task ReadAsync_ShortValuesRepeatedAndDistinct_EachReadAsWritten()
    {
        // Short ASCII values are shared through a table with collisions: every value must still be its own text.
        var values = Enumerable.Range(0, 3000).Select(i => (i % 7 == 0 ? "LAX" : $"v{i % 1500}") + (i % 11 == 0 ? "\u00e9" : string.Empty)).ToList();
        var lines = string.Join("\n", values.Select((v, i) => $$"""{"code":"{{v}}","long":"{{new string('x', i % 20)}}","esc":"a\"b"}"""));

        var records = await ReadLinesAsync(lines);

        Assert.Equal(values, records.Select(r => (string)r["code"]!));
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => new string('x', i % 20)), records.Select(r => (string)r["long"]!));
        Assert.All(records, r => Assert.Equal("a\"b", r["esc"]));
    }

    private static Stream Utf8(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    private static Task<List<Record>> ReadLinesAsync(string text, int bufferSize = Default, ILogger? logger = null) =>
        ToListAsync(JsonLinesReader.ReadAsync(Utf8(text), "data.jsonl", logger ?? NullLogger.Instance, bufferSize, default));

    private static Task<List<Record>> ReadArrayAsync(string text, int bufferSize = Default, ILogger? logger = null) =>
        ToListAsync(JsonArrayReader.ReadAsync(Utf8(text), "data.json", logger ?? NullLogger.Instance, bufferSize, default));

    private static Task<FormatException> LinesErrorAsync(string text, int bufferSize = Default) =>
        Assert.ThrowsAsync<FormatException>(() => ReadLinesAsync(text, bufferSize));

    private static Task<FormatException> ArrayErrorAsync(string text, int bufferSize = Default) =>
        Assert.ThrowsAsync<FormatException>(() => ReadArrayAsync(text, bufferSize));

    private static async Task<List<Record>> ToListAsync(IAsyncEnumerable<Record> records)
    {
        var list = new List<Record>();
        await foreach (var record in records)
        {
            list.Add(record);
        }

        return list;
    }

    /// <summary>A stream that hands out one byte a read, as a slow pipe might.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}
