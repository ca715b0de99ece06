using System.Numerics;
using Flow.Batches;

namespace Flow.Core.Tests.Batches;

/// <summary>What a record makes of each CLR value: one model, nothing dropped, nothing silently changed.</summary>
public sealed class RecordValueTests
{
    public static TheoryData<object?, object?> Conversions() => new()
    {
        { 5, 5L },
        { (short)-3, -3L },
        { 7u, 7L },
        { ulong.MaxValue, "18446744073709551615" },
        { 1.1f, 1.1 },
        { 0.25m, 0.25 },
        { 3m, 3L },
        { 1.2345678901234567890123456789m, "1.2345678901234567890123456789" },
        { double.NaN, "NaN" },
        { double.PositiveInfinity, "Infinity" },
        { double.NegativeInfinity, "-Infinity" },
        { 'x', "x" },
        { new DateOnly(2026, 12, 1), "2026-12-01" },
        { new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc), "2026-12-01T10:00:00.0000000Z" },
        { TimeSpan.FromMinutes(90), "01:30:00" },
        { DayOfWeek.Monday, "Monday" },
        { new byte[] { 1, 2, 3 }, "AQID" },
        { BigInteger.Pow(10, 30), "1000000000000000000000000000000" },
    };

    [Theory]
    [MemberData(nameof(Conversions))]
    public void Set_ClrValue_HoldsItInTheModel(object? value, object? expected)
    {
        var record = new Record { ["v"] = value };

        Assert.Equal(expected, record["v"]);
    }

    [Fact]
    public void Set_ListOfInts_HoldsLongs()
    {
        var record = new Record { ["v"] = new List<object?> { 1, (byte)2, new List<object?> { 3 } } };

        Assert.Equal("{\"v\":[1,2,[3]]}", record.ToString());
        Assert.IsType<long>(((List<object?>)record["v"]!)[0]);
    }

    [Fact]
    public void Set_DictionaryOfInts_IsANestedRecord()
    {
        var record = new Record { ["v"] = new Dictionary<string, int> { ["a"] = 1 } };

        Assert.Equal("{\"v\":{\"a\":1}}", record.ToString());
    }

    [Fact]
    public void ToJson_ValueAddedToAListAfterSet_IsWrittenAsTheModelHoldsIt()
    {
        var list = new List<object?>();
        var record = new Record { ["v"] = list };
        list.Add(2);
        list.Add(double.NaN);

        Assert.Equal("{\"v\":[2,\"NaN\"]}", record.ToString());
    }
}
