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
}
