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
        Assert.Contains(path, result.Error!.Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }
}
