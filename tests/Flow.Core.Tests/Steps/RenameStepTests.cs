using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class RenameStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_Flights_RenamesFieldsInPlace()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "names", "Type": "Rename", "Params": { "Map": { "origin": "from", "destination": "to", "absent": "ignored" } } } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        Assert.Equal(TestData.FlightCount, records.Count);
        Assert.All(records, r => Assert.Equal(new[] { "date", "delay", "distance", "from", "to" }, r.Names));
        Assert.Equal("""{"date":"2001/01/01 00:47","delay":66,"distance":1750,"from":"DTW","to":"LAS"}""", records[0].ToString());
    }
}
