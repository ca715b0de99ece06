using Flow.Batches;
using Flow.Execution;

namespace Flow.Core.Tests.Sources;

public sealed class CsvSourceTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task ReadAsync_Airports_GivesEveryRowWithInferredTypes()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv" }""");

        Assert.Equal(TestData.AirportCount, records.Count);
        var first = records[0];
        Assert.Equal(new[] { "iata", "name", "city", "state", "country", "latitude", "longitude" }, first.Names);
        Assert.Equal("00M", first["iata"]);
        Assert.Equal("Thigpen", first["name"]);
        Assert.Equal(31.95376472, Assert.IsType<double>(first["latitude"]));
        Assert.Equal(-89.23450472, Assert.IsType<double>(first["longitude"]));
        Assert.Equal("Detroit Metropolitan-Wayne County", records.Single(r => r["iata"] as string == "DTW")["name"]);
        Assert.All(records, r => Assert.IsType<string>(r["iata"]));
    }

    [Fact]
    public async Task ReadAsync_CodesInExponentForm_StayText()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv" }""");

        // "0E0" and "0E8" fit the JSON number grammar; as numbers both would read 0.
        Assert.Equal("Moriarty", records.Single(r => r["iata"] as string == "0E0")["name"]);
        Assert.Equal("Crownpoint", records.Single(r => r["iata"] as string == "0E8")["name"]);
    }

    [Fact]
    public async Task ReadAsync_InferTypesFalse_KeepsEveryCellAsText()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv", "InferTypes": false }""");

        Assert.Equal(TestData.AirportCount, records.Count);
        Assert.Equal("31.95376472", records[0]["latitude"]);
        Assert.All(records, r => Assert.All(r, field => Assert.True(field.Value is null or string, $"{field.Key} is {field.Value?.GetType()}")));
    }

    [Fact]
    public async Task ReadAsync_HeaderFalse_NamesColumnsByPositionAndKeepsTheFirstRow()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv", "Header": false }""");

        Assert.Equal(TestData.AirportCount + 1, records.Count);
        Assert.Equal(new[] { "column1", "column2", "column3", "column4", "column5", "column6", "column7" }, records[0].Names);
        Assert.Equal("iata", records[0]["column1"]);
        Assert.Equal("00M", records[1]["column1"]);
        Assert.Equal(31.95376472, records[1]["column6"]);
    }

    [Fact]
    public async Task ReadAsync_SemicolonDelimiter_SplitsOnItAndKeepsCommasInCells()
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.csv");
        await File.WriteAllTextAsync(path, "code;label;count;flag\n007;a,b;42;true\n\"x;y\";\"say \"\"hi\"\"\";-1.5;\n");

        var records = await ReadAsync($$"""{ "Path": {{TestData.Quote(path)}}, "Delimiter": ";" }""");

        Assert.Equal(2, records.Count);
        Assert.Equal("""{"code":"007","label":"a,b","count":42,"flag":true}""", records[0].ToString());
        Assert.Equal("""{"code":"x;y","label":"say \"hi\"","count":-1.5,"flag":null}""", records[1].ToString());
    }

    private async Task<IReadOnlyList<Record>> ReadAsync(string parameters)
    {
        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": 1000,
              "Sources": [ { "Name": "s", "Type": "Csv", "Params": {{parameters}} } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        Assert.Equal(RunStatus.Completed, result.Status);
        return _harness.Collected().Records;
    }
}
