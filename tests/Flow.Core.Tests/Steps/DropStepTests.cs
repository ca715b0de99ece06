using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class DropStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_Flights_RemovesTheListedFieldsAndKeepsTheOthersInOrder()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "slim", "Type": "Drop", "Params": { "Fields": [ "date", "distance", "not-there" ] } } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        Assert.Equal(TestData.FlightCount, records.Count);
        Assert.All(records, r => Assert.Equal(new[] { "delay", "origin", "destination" }, r.Names));
        Assert.Equal("""{"delay":66,"origin":"DTW","destination":"LAS"}""", records[0].ToString());
    }
}
