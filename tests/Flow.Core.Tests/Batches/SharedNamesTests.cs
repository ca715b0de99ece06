using System.Text;
using Flow.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests.Batches;

/// <summary>
/// Readers hand records of one layout a single names array. Changing one record's names (add,
/// remove, rename, a field the layout does not have) must never show in another record.
/// </summary>
public sealed class SharedNamesTests
{
    public static TheoryData<string> Readers => new() { "BatchSerializer", "Json", "JsonLines" };

    [Theory]
    [MemberData(nameof(Readers))]
    public void ChangingOneRecord_LeavesTheOthersAsRead(string reader)
    {
        var records = Read(reader, 6);

        records[0].Set("extra", 1L);
        records[1].Remove("b");
        records[2].Rename("a", "z");
        records[3].Rename("c", "a"); // the new name replaces an existing field
        records[4].Add("d", "x");

        Assert.Equal(["a", "b", "c", "extra"], records[0].Names);
        Assert.Equal(["a", "c"], records[1].Names);
        Assert.Equal(["z", "b", "c"], records[2].Names);
        Assert.Equal(["a", "b"], records[3].Names);
        Assert.Equal(true, records[3]["a"]);
        Assert.Equal(["a", "b", "c", "d"], records[4].Names);
        Assert.Equal(["a", "b", "c"], records[5].Names);
        Assert.Equal([5L, "s5", true], records[5].Select(f => f.Value));

        // Read again: the readers' layouts were not changed by the records' edits either.
        Assert.All(Read(reader, 3), r => Assert.Equal(["a", "b", "c"], r.Names));
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void LayoutsThatChange_ReadAsWritten(string reader)
    {
        var lines = new[]
        {
            """{"a":1,"b":2}""",
            """{"a":1,"b":2,"c":3}""",
            """{"a":1}""",
            """{"b":1,"a":2}""",
            """{}""",
            """{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}""",
            """{"a":1,"b":2}""",
        };

        var records = Read(reader, lines);

        Assert.Equal(
            lines,
            records.Select(r => r.ToString()));
    }

    private static List<Record> Read(string reader, int count) =>
        Read(reader, Enumerable.Range(0, count).Select(i => $$"""{"a":{{i}},"b":"s{{i}}","c":true}""").ToArray());

    private static List<Record> Read(string reader, string[] lines)
    {
        var jsonLines = JsonLinesReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", lines))), "in.jsonl", NullLogger.Instance).ToList();
        return reader switch
        {
            "BatchSerializer" => BatchSerializer.Deserialize(BatchSerializer.Serialize(jsonLines)),
            "Json" => JsonArrayReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("[" + string.Join(",", lines) + "]")), "in.json", NullLogger.Instance).ToList(),
            _ => jsonLines,
        };
    }
}
