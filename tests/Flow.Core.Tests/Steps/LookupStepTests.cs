using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class LookupStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_OriginAgainstAirports_AddsTheAirportFieldsUnderThePrefix()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ {
                "Name": "airports", "Type": "Lookup",
                "Params": { "File": "samples/data/airports.csv", "Key": "origin", "On": "iata", "Prefix": "origin_" }
            } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        Assert.Equal(TestData.FlightCount, records.Count);
        Assert.Equal(
            """{"date":"2001/01/01 00:47","delay":66,"distance":1750,"origin":"DTW","destination":"LAS","origin_name":"Detroit Metropolitan-Wayne County","origin_city":"Detroit","origin_state":"MI","origin_country":"USA","origin_latitude":42.21205889,"origin_longitude":-83.34883583}""",
            records[0].ToString());
        Assert.All(records, r => Assert.False(r.Contains("origin_iata")));
        Assert.All(records, r => Assert.IsType<string>(r["origin_city"]));
    }

    [Fact]
    public async Task Process_RequiredKeep_PassesUnmatchedRecordsUnchanged()
    {
        using var temp = new TempDirectory();
        var records = await LookupWithTwoAirportsAsync(temp, "Keep");

        Assert.Equal(CountFrom("DTW", "LAS"), records.Count(r => r.Contains("o_name")));
        Assert.Equal(TestData.FlightLines(), records.Select(WithoutLookupFields));
    }

    [Fact]
    public async Task Process_RequiredDrop_KeepsOnlyMatchedRecords()
    {
        using var temp = new TempDirectory();
        var records = await LookupWithTwoAirportsAsync(temp, "Drop");

        Assert.Equal(CountFrom("DTW", "LAS"), records.Count);
        Assert.All(records, r => Assert.Contains((string)r["origin"]!, new[] { "DTW", "LAS" }));
        Assert.Equal("Detroit", records.First(r => (string?)r["origin"] == "DTW")["o_city"]);
        Assert.Equal("Las Vegas", records.First(r => (string?)r["origin"] == "LAS")["o_city"]);
    }

    [Fact]
    public async Task Process_RequiredFail_FaultsTheRunOnTheFirstUnmatchedRecord()
    {
        using var temp = new TempDirectory();
        var file = await WriteTwoAirportsAsync(temp);

        var result = await _harness.RunAsync(PipelineHarness.OverFlights($$"""
            [ { "Name": "airports", "Type": "Lookup", "Params": { "File": {{TestData.Quote(file)}}, "Key": "origin", "On": "iata", "Required": "Fail" } } ]
            """));

        Assert.Equal(RunStatus.Failed, result.Status);
        var error = Assert.IsType<StepFailedException>(result.Error);
        Assert.Equal("airports", error.Node);
        Assert.Equal(0, error.BatchId.Index);
        Assert.Contains("lookup found no row for origin = 'HNL'", error.Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }

    [Fact]
    public async Task Plan_UnreadableFileOrBadRequired_AreConfigurationErrors()
    {
        var errors = await _harness.ConfigurationErrorsAsync(PipelineHarness.OverFlights("""
            [
              { "Name": "a", "Type": "Lookup", "Params": { "File": "samples/data/nope.csv", "Key": "origin", "On": "iata" } },
              { "Name": "b", "Type": "Lookup", "Params": { "File": "samples/data/airports.csv", "Key": "origin", "On": "iata", "Required": "Sometimes" } }
            ]
            """));

        Assert.Equal(
            new[] { "Flow:Pipelines:p:Steps:0:Params:File", "Flow:Pipelines:p:Steps:1:Params:Required" },
            errors.Select(e => e.Path));
    }

    private static int CountFrom(params string[] origins) =>
        TestData.Flights().Count(f => origins.Contains(f.GetProperty("origin").GetString()));

    private static string WithoutLookupFields(Batches.Record record)
    {
        foreach (var name in record.Names.Where(n => n.StartsWith("o_", StringComparison.Ordinal)).ToList())
        {
            record.Remove(name);
        }

        return record.ToString();
    }

    private static async Task<string> WriteTwoAirportsAsync(TempDirectory temp)
    {
        var lines = (await File.ReadAllLinesAsync(TestData.AirportsCsv))
            .Where((line, i) => i == 0 || line.StartsWith("DTW,", StringComparison.Ordinal) || line.StartsWith("LAS,", StringComparison.Ordinal));
        var file = temp.File("two-airports.csv");
        await File.WriteAllLinesAsync(file, lines);
        return file;
    }

    private async Task<IReadOnlyList<Batches.Record>> LookupWithTwoAirportsAsync(TempDirectory temp, string required)
    {
        var file = await WriteTwoAirportsAsync(temp);
        var result = await _harness.RunAsync(PipelineHarness.OverFlights($$"""
            [ {
                "Name": "airports", "Type": "Lookup",
                "Params": { "File": {{TestData.Quote(file)}}, "Key": "origin", "On": "iata", "Prefix": "o_", "Required": "{{required}}" }
            } ]
            """));
        Assert.Equal(RunStatus.Completed, result.Status);
        return _harness.Collected().Records;
    }
}
