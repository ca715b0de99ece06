using Flow.Execution;

namespace Flow.Core.Tests.Sources;

public sealed class JsonSourceTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task ReadAsync_Flights_GivesEveryRecordWithItsFieldsAndValues()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 500,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        Assert.Equal(TestData.FlightCount, records.Count);
        var first = records[0];
        Assert.Equal(new[] { "date", "delay", "distance", "origin", "destination" }, first.Names);
        Assert.Equal("2001/01/01 00:47", first["date"]);
        Assert.Equal(66L, first["delay"]);
        Assert.Equal(1750L, first["distance"]);
        Assert.Equal("DTW", first["origin"]);
        Assert.Equal("LAS", first["destination"]);
        Assert.Equal("""{"date":"2001/03/31 22:27","delay":-9,"distance":83,"origin":"CLT","destination":"GSO"}""", records[^1].ToString());
    }

    [Fact]
    public async Task ReadAsync_Flights_CutsBatchesByCountWithDeterministicIds()
    {
        await _harness.RunAsync("""
            {
              "BatchSize": 3000,
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var batches = _harness.Collected().Batches;
        Assert.Equal(new[] { 3000, 3000, 3000, 3000, 3000, 3000, 2000 }, batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), batches.Select(b => b.Id.Index));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => i * 3000L), batches.Select(b => b.Id.Offset));
        Assert.All(batches, b => Assert.Equal("flights", b.Id.Source));
    }

    [Fact]
    public async Task ReadAsync_Flights_GivesTheValuesSystemTextJsonReads()
    {
        await _harness.RunAsync(PipelineHarness.OverFlights("[]"));

        var records = _harness.Collected().Records;
        var expected = TestData.Flights();
        Assert.Equal(expected.Count, records.Count);
        foreach (var i in new[] { 1, 777, 9_999, 12_345, 19_998 })
        {
            Assert.Equal(expected[i].GetProperty("date").GetString(), records[i]["date"]);
            Assert.Equal(expected[i].GetProperty("delay").GetInt64(), records[i]["delay"]);
            Assert.Equal(expected[i].GetProperty("distance").GetInt64(), records[i]["distance"]);
            Assert.Equal(expected[i].GetProperty("origin").GetString(), records[i]["origin"]);
            Assert.Equal(expected[i].GetProperty("destination").GetString(), records[i]["destination"]);
        }

        Assert.Equal(expected.Select(e => e.GetRawText()), records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_NumbersBeyondLongOrDouble_KeepTheirLiteralText()
    {
        var (_, result) = await RunOverAsync("""[{"big":12345678901234567890,"huge":1e400,"tiny":-1e400,"min":-9223372036854775808,"z":-0.0}]""");

        Assert.Equal(RunStatus.Completed, result.Status);
        var record = Assert.Single(_harness.Collected().Records);
        Assert.Equal("12345678901234567890", record["big"]);
        Assert.Equal("1e400", record["huge"]);
        Assert.Equal("-1e400", record["tiny"]);
        Assert.Equal(long.MinValue, record["min"]);
        Assert.True(double.IsNegative(Assert.IsType<double>(record["z"])));
    }

    [Fact]
    public async Task ReadAsync_SyntaxErrorDeepInABigArray_NamesFileLineColumnAndItem()
    {
        // Far past the first 64 KB window, so that the position survives several refills.
        var items = TestData.FlightLines().Take(3000).ToList();
        items[2500] = items[2500].Replace("\"delay\":", "\"delay\":+", StringComparison.Ordinal);
        var (path, result) = await RunOverAsync("[\n" + string.Join(",\n", items) + "\n]\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:2502:36: invalid JSON: '+' is an invalid start of a value (item 2500)", result.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("$[", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RepeatedKey_FailsNamingFileLineColumnKeyAndItem()
    {
        var (path, result) = await RunOverAsync("[{\"a\":1},\n {\"a\":1,\"a\":2}]");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:2:9: repeated key 'a';", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("(item 1)", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_UnpairedSurrogateEscape_FailsAtItsPosition()
    {
        var (path, result) = await RunOverAsync("[{\"s\":\"\\ud800\"}]");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:8: field 's': the string holds '\\ud800', an unpaired surrogate", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NestingDeeperThan64Levels_FailsAtItsPosition()
    {
        var (path, result) = await RunOverAsync("[{\"v\":" + new string('[', 65) + new string(']', 65) + "}]");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:71: field 'v[0]", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("nest deeper than 64 levels", result.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "1:1: the file is empty; expected a JSON array of objects")]
    [InlineData("{\"a\":1}", "1:1: expected a JSON array of objects, found an object")]
    [InlineData("[{\"a\":1},\n \"x\"]", "2:2: expected an object, found a string; a Json file holds an array of objects (item 1)")]
    [InlineData("[{\"a\":1}]\n{\"a\":2}", "2:1: unexpected content after the closing ']' ('{\"a\":2}')")]
    [InlineData("[{\"a\":1} // last\n]", "1:10: invalid JSON: '/' is invalid after a value. Expected either ',', '}', or ']'; comments are not JSON (item 1)")]
    public async Task ReadAsync_FileThatIsNotOneArrayOfObjects_FailsNamingFileLineAndColumn(string text, string message)
    {
        var (path, result) = await RunOverAsync(text);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:{message}", result.Error!.Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }

    [Fact]
    public async Task ReadAsync_FileThatIsNotAnArrayOfObjects_FailsTheRunNamingTheFile()
    {
        using var temp = new TempDirectory();
        var path = temp.File("numbers.json");
        await File.WriteAllTextAsync(path, "[1, 2, 3]");

        var result = await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": {{TestData.Quote(path)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:2: expected an object, found a number; a Json file holds an array of objects (item 0)", result.Error!.Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }

    private async Task<(string Path, PipelineResult Result)> RunOverAsync(string text)
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.json");
        await File.WriteAllTextAsync(path, text);
        var result = await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": {{TestData.Quote(path)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        return (path, result);
    }
}
