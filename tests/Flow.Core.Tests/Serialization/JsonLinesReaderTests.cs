using System.Text;
using Flow.Core.Tests;
using Flow.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Tests.Serialization;

/// <summary>
/// The JSON Lines reader over a file (a stream that can seek), whose chunks of lines are parsed on
/// several threads: it must give what the one-thread reader of a pipe gives, record for record, error
/// for error, warning for warning, whatever the chunk boundaries.
/// </summary>
public sealed class JsonLinesReaderTests
{
    private const int Lines = 3000;

    // Small windows cut the text into many chunks, with lines across every kind of boundary.
    public static TheoryData<int> BufferSizes => [64, 257, 4096, JsonTextBuffer.DefaultSize];

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public async Task File_ManyChunks_GivesThePipesRecordsInOrder(int bufferSize)
    {
        var text = Text(i => i % 97 == 0 ? "   \r" : $"{{\"id\":{i},\"name\":\"n{i % 13}é\",\"v\":{i * 0.5:R},\"tags\":[{i % 3},\"x\"],\"o\":{{\"k\":{(i % 2 == 0 ? "true" : "null")}}}}}" + (i % 5 == 0 ? "\r" : ""));

        var fromFile = await ReadAsync(new MemoryStream(text), bufferSize);
        var fromPipe = await ReadAsync(new PipeStream(text), bufferSize);

        Assert.Equal(Lines - Enumerable.Range(0, Lines).Count(i => i % 97 == 0), fromFile.Count);
        RecordAssert.Equal(fromPipe, fromFile);
        Assert.Equal(Enumerable.Range(0, Lines).Where(i => i % 97 != 0).Select(i => (long)i), fromFile.Select(r => (long)r["id"]!));
    }

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public async Task File_BadLineInALaterChunk_GivesEveryRecordBeforeIt_ThenItsFileLineAndColumn(int bufferSize)
    {
        const int bad = 2345; // 0-based: line 2346 of the file
        var text = Text(i => i == bad ? """{"id":1,"x":}""" : $$"""{"id":{{i}}}""");

        foreach (var stream in new Func<Stream>[] { () => new MemoryStream(text), () => new PipeStream(text) })
        {
            var received = new List<Record>();
            var error = await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await foreach (var record in JsonLinesReader.ReadAsync(stream(), "data.jsonl", NullLogger.Instance, bufferSize, default))
                {
                    received.Add(record);
                }
            });

            Assert.Equal(bad, received.Count);
            Assert.StartsWith($"data.jsonl:{bad + 1}:13: ", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public async Task File_NumbersKeptAsTextInSeveralChunks_WarnOnceWhereTheFirstIs_ThenCountTheFile(int bufferSize)
    {
        var text = Text(i => i % 700 == 699 ? $$"""{"id":{{i}},"big":123456789012345678901234}""" : $$"""{"id":{{i}}}""");
        var logger = new ListLogger();

        var records = await ReadAsync(new MemoryStream(text), bufferSize, logger);

        Assert.Equal(Lines, records.Count);
        Assert.Equal("123456789012345678901234", records[699]["big"]);
        Assert.Equal(
            new[]
            {
                "data.jsonl:700:17: field 'big' holds the number 123456789012345678901234, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file",
                "data.jsonl: 4 numbers that fit neither a 64-bit integer nor a double were kept as text",
            },
            logger.Warnings);
    }

    [Fact]
    public async Task File_ByteOrderMarkAndNoFinalLineEnd_ReadLikeThePipe()
    {
        var text = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"a\":1}\n{\"a\":2}\n{\"a\":3}")).ToArray();

        var fromFile = await ReadAsync(new MemoryStream(text), 4);
        var error = await Assert.ThrowsAsync<FormatException>(() => ReadAsync(new MemoryStream([.. text, .. "\n{\"a\" 4}"u8]), 4));

        Assert.Equal([1L, 2L, 3L], fromFile.Select(r => (long)r["a"]!));
        Assert.StartsWith("data.jsonl:4:6: ", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Text(Func<int, string> line) =>
        Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, Lines).Select(line)) + "\n");

    private static async Task<List<Record>> ReadAsync(Stream stream, int bufferSize, ListLogger? logger = null)
    {
        var list = new List<Record>();
        await foreach (var record in JsonLinesReader.ReadAsync(stream, "data.jsonl", (Microsoft.Extensions.Logging.ILogger?)logger ?? NullLogger.Instance, bufferSize, default))
        {
            list.Add(record);
        }

        return list;
    }

    /// <summary>The same bytes as a stream that cannot seek, as a pipe: read by the one-thread reader.</summary>
    private sealed class PipeStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
