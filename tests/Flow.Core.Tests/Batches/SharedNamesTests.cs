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
    private const string Added1 = "added1";
    private const string Added2 = "added2";
    private const string Added3 = "added3";

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

    [Theory]
    [MemberData(nameof(Readers))]
    public void RecordsThatGainTheSameFields_KeepTheirOwnValues_AndChangesAfterwardsStayInOneRecord(string reader)
    {
        var records = Read(reader, 5);
        foreach (var record in records)
        {
            // As a Compute does: the same name instances, every record.
            record.Set(Added1, (long)record["a"]! * 10);
            record.Set(Added2, "r" + record["a"]);
            record.Set(Added3, null);
        }

        Assert.All(records, r => Assert.Equal(["a", "b", "c", Added1, Added2, Added3], r.Names));
        Assert.Equal([30L, "r3", null], records[3].Skip(3).Select(f => f.Value));

        // Records that share a grown layout still change on their own.
        records[0].Remove(Added2);
        records[1].Rename(Added1, "renamed");
        records[2].Set("more", 1L);
        records[3].Set(Added1, -1L);

        Assert.Equal(["a", "b", "c", Added1, Added3], records[0].Names);
        Assert.Equal(["a", "b", "c", "renamed", Added2, Added3], records[1].Names);
        Assert.Equal(["a", "b", "c", Added1, Added2, Added3, "more"], records[2].Names);
        Assert.Equal(-1L, records[3][Added1]);
        Assert.Equal(40L, records[4][Added1]);
        Assert.All(records.Skip(3), r => Assert.Equal(["a", "b", "c", Added1, Added2, Added3], r.Names));
    }

    [Fact]
    public void ARecordShorterThanItsLayout_GainsTheFieldItAdds_NotTheLayoutsNext()
    {
        // The second record shares the first one's layout [a, b, c] but has only a.
        var records = Read("Json", ["""{"a":1,"b":2,"c":3}""", """{"a":4}"""]);

        records[1].Set("z", 5L);
        records[0].Set("z", 6L);

        Assert.Equal("""{"a":4,"z":5}""", records[1].ToString());
        Assert.Equal("""{"a":1,"b":2,"c":3,"z":6}""", records[0].ToString());
    }

    [Fact]
    public void RecordsGrownOnManyThreads_EachHoldTheirOwnFields()
    {
        var records = Read("JsonLines", 4000);
        Parallel.For(0, records.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            // Two kinds of growth interleaved on each thread: both must hold.
            records[i].Set(i % 2 == 0 ? Added1 : Added2, (long)i);
            records[i].Set(Added3, (long)-i);
        });

        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(["a", "b", "c", i % 2 == 0 ? Added1 : Added2, Added3], records[i].Names);
            Assert.Equal([(long)i, "s" + i, true, (long)i, (long)-i], records[i].Select(f => f.Value));
        }
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
