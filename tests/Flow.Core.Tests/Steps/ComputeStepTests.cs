using Flow.Execution;

namespace Flow.Core.Tests.Steps;

public sealed class ComputeStepTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task Process_Flights_SetsNewFieldsFromExpressionsAtTheEnd()
    {
        var result = await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ {
                "Name": "enrich", "Type": "Compute",
                "Params": { "Set": { "route": "origin + '-' + destination", "late": "delay > 15", "delay_hours": "round(delay / 60, 2)" } }
            } ]
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        var records = _harness.Collected().Records;
        var flights = TestData.Flights();
        Assert.Equal(flights.Count, records.Count);
        // New fields go at the end; configuration hands the Set keys over sorted by name.
        Assert.Equal(new[] { "date", "delay", "distance", "origin", "destination", "delay_hours", "late", "route" }, records[0].Names);
        for (var i = 0; i < flights.Count; i++)
        {
            var delay = flights[i].GetProperty("delay").GetInt64();
            Assert.Equal($"{flights[i].GetProperty("origin").GetString()}-{flights[i].GetProperty("destination").GetString()}", records[i]["route"]);
            Assert.Equal(delay > 15, records[i]["late"]);
            Assert.Equal(Math.Round(delay / 60.0, 2), Assert.IsType<double>(records[i]["delay_hours"]), 10);
        }
    }

    [Fact]
    public async Task Process_LaterExpression_SeesFieldsSetBeforeIt()
    {
        await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "c", "Type": "Compute", "Params": { "Set": { "delay": "delay + 1", "twice": "delay * 2" } } } ]
            """));

        var first = _harness.Collected().Records[0];
        Assert.Equal(67L, first["delay"]);
        Assert.Equal(134L, first["twice"]);
    }

    [Fact]
    public async Task Process_FieldReadingAnotherComputedField_RunsAfterIt_WhateverTheNames()
    {
        // Sorted by name, double_total would come first and read a missing total.
        await _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "c", "Type": "Compute", "Params": { "Set": { "total": "delay + distance", "double_total": "total * 2" } } } ]
            """));

        var first = _harness.Collected().Records[0];
        Assert.Equal(66L + 1750L, first["total"]);
        Assert.Equal(2 * (66L + 1750L), first["double_total"]);
        Assert.Equal(new[] { "total", "double_total" }, first.Names.Skip(5));
    }

    [Fact]
    public async Task Plan_FieldsComputedFromEachOther_IsAConfigurationErrorAtSet()
    {
        var error = await Assert.ThrowsAsync<FlowConfigurationException>(() => _harness.RunAsync(PipelineHarness.OverFlights("""
            [ { "Name": "c", "Type": "Compute", "Params": { "Set": { "a": "b + 1", "b": "a + 1" } } } ]
            """)));

        var problem = Assert.Single(error.Errors);
        Assert.EndsWith("Steps:0:Params:Set", problem.Path);
        Assert.Contains("cycle", problem.Message);
    }
}
