using System.Text;
using Flow.Core.Tests;
using Flow.Serialization;

namespace Flow.Tests.Serialization;

/// <summary>
/// The Json (array) reader over a file, whose items are checked by one thread and built into records
/// on several: for every text, good or hostile, it must give what the one-thread reader of a pipe
/// gives: the same records, and the same error after the same records.
/// </summary>
public sealed class JsonArrayReaderTests
{
    private const int Items = 3000;

    public static TheoryData<int> BufferSizes => [64, 257, 4096, JsonTextBuffer.DefaultSize];

    // Good and bad texts; the bad ones fail far into the file, past many chunks.
    public static TheoryData<string> Texts => new()
    {
        "good",
        "duplicate key",
        "duplicate key, then a syntax error",
        "too deep",
        "not an object",
        "syntax error",
        "content after the array",
        "ends inside an object",
        "ends before the bracket",
        "ends inside a string holding a line end",
        "numbers kept as text",
        "brackets and quotes inside strings",
        "unbalanced brackets",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task File_GivesThePipesRecordsAndError(string kind)
    {
        foreach (var size in BufferSizes)
        {
            var text = Text(kind);
            var fileLogger = new ListLogger();
            var pipeLogger = new ListLogger();

            var (fromFile, fileError) = await ReadAsync(new MemoryStream(text), size, fileLogger);
            var (fromPipe, pipeError) = await ReadAsync(new PipeStream(text), size, pipeLogger);

            RecordAssert.Equal(fromPipe, fromFile);
            Assert.Equal(pipeError, fileError);
            Assert.Equal(pipeLogger.Warnings, fileLogger.Warnings);
            Assert.Equal(kind is "good" or "numbers kept as text" or "brackets and quotes inside strings", fileError is null);
            if (fileError is not null)
            {
                Assert.True(fromFile.Count >= 2000, $"{kind}, window {size}: {fromFile.Count} records before the error");
                Assert.Contains("data.json:", fileError, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task File_StreamNotAtItsStart_ReadsFromWhereItIs_AlsoWhenItReadsAgain()
    {
        // A bad item makes the file be read again by the one-thread reader: from where reading started, not from byte 0.
        var prefix = Encoding.UTF8.GetBytes("not json at all ");
        var text = prefix.Concat(Encoding.UTF8.GetBytes("[{\"a\":1},{\"a\":2},{\"a\":1,\"a\":3}]")).ToArray();

        var (fromFile, fileError) = await ReadAsync(new MemoryStream(text) { Position = prefix.Length }, 64, new ListLogger());
        var (fromPipe, pipeError) = await ReadAsync(new PipeStream(text) { Position = prefix.Length }, 64, new ListLogger());

        Assert.Equal([1L, 2L], fromFile.Select(r => (long)r["a"]!));
        RecordAssert.Equal(fromPipe, fromFile);
        Assert.Equal(pipeError, fileError);
        Assert.Contains("repeated key 'a'", fileError, StringComparison.Ordinal);
    }

    private static byte[] Text(string kind)
    {
        string Item(int i) => (kind, i) switch
        {
            ("duplicate key", 2222) or ("duplicate key, then a syntax error", 2222) => """{"id":1,"id":2}""",
            ("duplicate key, then a syntax error", 2300) => """{"id":1,,}""",
            ("too deep", 2222) => "{\"v\":" + new string('[', 80) + new string(']', 80) + "}",
            ("not an object", 2222) => "42",
            ("syntax error", 2222) => """{"id" 5}""",
            ("brackets and quotes inside strings", _) when i % 3 == 0 => $"{{\"id\":{i},\"s\":\"}}]\\\"{{[\\\\\",\"t\":[\"]\",{{\"u\":\"\\u007b\"}}]}}",
            ("unbalanced brackets", 2222) => """{"id":1,"a":[1,2}""",
            ("numbers kept as text", _) when i % 700 == 699 => $"{{\"id\":{i},\"big\":123456789012345678901234}}",
            _ => $"{{\"id\":{i},\"name\":\"n{i % 13}é\",\"o\":{{\"k\":[{i % 3},null]}}}}",
        };

        var body = "[\n" + string.Join(",\n  ", Enumerable.Range(0, Items).Select(Item));
        return Encoding.UTF8.GetBytes(kind switch
        {
            "content after the array" => body + "\n] x",
            "ends inside an object" => body + ",\n{\"id\":1,",
            "ends before the bracket" => body + "\n",
            "ends inside a string holding a line end" => body + ",\n{\"s\":\"q}]\n",
            _ => body + "\n]\n",
        });
    }

    private static async Task<(List<Record> Records, string? Error)> ReadAsync(Stream stream, int bufferSize, ListLogger logger)
    {
        var list = new List<Record>();
        try
        {
            await foreach (var record in JsonArrayReader.ReadAsync(stream, "data.json", logger, bufferSize, default))
            {
                list.Add(record);
            }

            return (list, null);
        }
        catch (FormatException ex)
        {
            return (list, ex.Message);
        }
    }

    private sealed class PipeStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
