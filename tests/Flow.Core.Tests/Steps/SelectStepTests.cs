using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class SelectStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_Flights_KeepsTheListedFieldsInListOrderAndNullsMissingOnes()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "pick", "Type": "Select", "Params": { "Fields": [ "destination", "delay", "gate" ] } } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        var flights = TestData.Flights();
        Assert.Equal(flights.Count, records.Count);
        Assert.Equal("""{"destination":"LAS","delay":66,"gate":null}""", records[0].ToString());
        Assert.Equal(flights.Select(f => f.GetProperty("destination").GetString()), records.Select(r => (string?)r["destination"]));
    }

    [Fact]
    public async Task Plan_WithoutFields_IsAConfigurationError()
    {
        var errors = await _harness.ConfigurationErrorsAsync(PipelineHarness.OverFlights("""[ { "Name": "pick", "Type": "Select" } ]"""));

        Assert.Equal("Flow:Pipelines:p:Steps:0:Params:Fields", Assert.Single(errors).Path);
    }
}
