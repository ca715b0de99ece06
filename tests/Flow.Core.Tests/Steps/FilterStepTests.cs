using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class FilterStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_DelayAbove15_KeepsExactlyTheLateFlightsInSourceOrder()
    {
        // The expectation comes from System.Text.Json, not from Flow's reader or expression engine.
        var expected = TestData.FlightLines(f => f.GetProperty("delay").GetInt64() > 15);

        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(4349, expected.Count);
        Assert.Equal(expected, _harness.Collected().Records.Select(r => r.ToString()));
        var late = result.Nodes.Single(n => n.Name == "late");
        Assert.Equal(TestData.FlightCount, late.RecordsIn);
        Assert.Equal(expected.Count, late.RecordsOut);
        Assert.Equal(40, late.Batches);
    }

    [Fact]
    public async Task Process_FilterDroppingEverything_StillPassesEveryBatchOnEmpty()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "none", "Type": "Filter", "Params": { "Where": "delay > 100000" } } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var batches = _harness.Collected().Batches;
        Assert.Equal(40, batches.Count);
        Assert.All(batches, b => Assert.Equal(0, b.Count));
    }

    [Fact]
    public async Task Process_OnSeveralFields_CombinesConditions()
    {
        var expected = TestData.FlightLines(f =>
            f.GetProperty("origin").GetString() == "LAS" && f.GetProperty("distance").GetInt64() >= 1000);

        await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "long", "Type": "Filter", "Params": { "Where": "origin == 'LAS' && distance >= 1000" } } ]
            """));

        Assert.NotEmpty(expected);
        Assert.Equal(expected, _harness.Collected().Records.Select(r => r.ToString()));
    }
}
