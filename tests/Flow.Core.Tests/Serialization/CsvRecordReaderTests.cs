using System.Text;
using Flow.Serialization;

namespace Flow.Core.Tests.Serialization;

public sealed class CsvRecordReaderTests
{
    [Fact]
    public async Task ReadAsync_MemoryStream_ReadsFromItsPositionAndLeavesItOpen()
    {
        var bytes = Encoding.UTF8.GetBytes("skipped\na,b\n1,x\n");
        using var stream = new MemoryStream(bytes);
        stream.Position = "skipped\n".Length;

        var records = await ReadAsync(stream, new CsvReadOptions());

        Assert.Equal("""{"a":1,"b":"x"}""", Assert.Single(records).ToString());
        Assert.True(stream.CanRead);
    }

    [Fact]
    public async Task ReadAsync_QuotedFields_KeepEveryCharacterTheyHold()
    {
        var records = await ReadAsync("a,b\n\"1,\"\"2\"\"\r\n3\n4\r\",\"\r\"\n", new CsvReadOptions());

        var record = Assert.Single(records);
        Assert.Equal("1,\"2\"\r\n3\n4\r", record["a"]);
        Assert.Equal("\r", record["b"]);
    }

    [Fact]
    public async Task ReadAsync_HeaderFalseOneColumnWithLeadingEmptyLines_KeepsThemAsNulls()
    {
        var records = await ReadAsync("\n\nx\n\ny\n", new CsvReadOptions { Header = false });

        Assert.Equal(new object?[] { null, null, "x", null, "y" }, records.Select(r => r["column1"]));
    }

    [Fact]
    public async Task ReadAsync_HeaderFalseSeveralColumns_SkipsBlankLinesAndNamesByPosition()
    {
        var records = await ReadAsync("\n1,a\n\n2,b\n", new CsvReadOptions { Header = false });

        Assert.Equal(new[] { """{"column1":1,"column2":"a"}""", """{"column1":2,"column2":"b"}""" }, records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_HeaderFalseRaggedRow_NamesTheFirstRowsWidth()
    {
        var error = await Assert.ThrowsAsync<FormatException>(() => ReadAsync("1,2\n3,4,5\n", new CsvReadOptions { Header = false }));

        Assert.Equal("data.csv:2: row has 3 cells but the first row has 2; RaggedRows: Allow reads such rows", error.Message);
    }

    [Fact]
    public async Task ReadAsync_ExtraCellWhoseNameTheHeaderHas_GetsAFreeName()
    {
        var records = await ReadAsync("column3,b\n1,2,3,4\n", new CsvReadOptions { RaggedRows = CsvRaggedRows.Allow });

        Assert.Equal("""{"column3":1,"b":2,"column3_2":3,"column4":4}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_NonAsciiAndMultiCharacterDelimiters_SplitWithoutTouchingCells()
    {
        var section = await ReadAsync("a§b\n1§x,y\n", new CsvReadOptions { Delimiter = "§" });
        var tabs = await ReadAsync("a\t\tb\n\"1\t\t\"\t\t\t2\n", new CsvReadOptions { Delimiter = "\t\t" });

        Assert.Equal("""{"a":1,"b":"x,y"}""", Assert.Single(section).ToString());
        Assert.Equal("1\t\t", Assert.Single(tabs)["a"]);
        Assert.Equal("\t2", Assert.Single(tabs)["b"]);
    }

    [Fact]
    public async Task ReadAsync_InferTypesFalse_KeepsEveryCellAsWritten()
    {
        var records = await ReadAsync("a,b,c\n007,,true\n", new CsvReadOptions { InferTypes = false });

        Assert.Equal("""{"a":"007","b":"","c":"true"}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_ProblemFarIntoALargeFile_ReportsItsLine()
    {
        var text = new StringBuilder("id,text\n");
        for (var i = 1; i <= 20_000; i++)
        {
            text.Append(i).Append(i % 100 == 0 ? ",\"two\nlines\"\n" : ",plain\n");
        }

        text.Append("20001,\"ab\"c\n");

        var error = await Assert.ThrowsAsync<FormatException>(() => ReadAsync(text.ToString(), new CsvReadOptions()));

        // 20,000 rows, 200 of them two lines long, after the header: the bad row starts on line 20,202.
        Assert.StartsWith("data.csv:20202: column 2 (text) has text after its closing quote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NonSeekableStream_InfersFromTheFirstRowsAndKeepsLaterMisfitsAsText()
    {
        var text = new StringBuilder("n,flag,code\n");
        for (var i = 0; i < CsvRecordReader.StreamInferenceRows; i++)
        {
            text.Append(i).Append(i % 2 == 0 ? ",true," : ",false,").Append('\n');
        }

        text.Append("oops,1,7\n12,true,8\n");

        var records = await ReadAsync(new ForwardOnlyStream(Encoding.UTF8.GetBytes(text.ToString())), new CsvReadOptions());

        Assert.Equal(CsvRecordReader.StreamInferenceRows + 2, records.Count);
        Assert.Equal(0L, records[0]["n"]);
        Assert.Equal(true, records[0]["flag"]);
        Assert.Null(records[0]["code"]);
        Assert.Equal("""{"n":"oops","flag":"1","code":"7"}""", records[^2].ToString());
        Assert.Equal("""{"n":12,"flag":true,"code":"8"}""", records[^1].ToString());
    }

    [Fact]
    public async Task ReadAsync_ShortNonSeekableStream_InfersOverEveryRow()
    {
        var records = await ReadAsync(new ForwardOnlyStream(Encoding.UTF8.GetBytes("a,b\n1,x\n2.5,\n")), new CsvReadOptions());

        Assert.Equal(new[] { """{"a":1,"b":"x"}""", """{"a":2.5,"b":null}""" }, records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_Fifo_StreamsWhatTheWriterSends()
    {
        using var temp = new TempDirectory();
        var fifo = temp.File("rows.csv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var writer = Task.Run(async () =>
        {
            await using var output = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await output.WriteAsync(Encoding.UTF8.GetBytes("code,n\n00M,1\nABQ,2.5\n"));
        });
        var records = new List<Record>();
        var input = CsvInput.Open(fifo, () => new FileStream(fifo, FileMode.Open, FileAccess.Read));
        await foreach (var record in CsvRecordReader.ReadAsync(new[] { input }, new CsvReadOptions(), CancellationToken.None).WithCancellation(CancellationToken.None))
        {
            records.Add(record);
        }

        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { """{"code":"00M","n":1}""", """{"code":"ABQ","n":2.5}""" }, records.Select(r => r.ToString()));
    }

    private static Task<List<Record>> ReadAsync(string text, CsvReadOptions options) =>
        ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), options);

    private static async Task<List<Record>> ReadAsync(Stream stream, CsvReadOptions options)
    {
        var records = new List<Record>();
        await foreach (var record in CsvRecordReader.ReadAsync(stream, "data.csv", options, CancellationToken.None))
        {
            records.Add(record);
        }

        return records;
    }

    /// <summary>A stream that can be read once, front to back, like a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
