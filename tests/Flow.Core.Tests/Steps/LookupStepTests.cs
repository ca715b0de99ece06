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

    private static string WithoutLookupFields(Record record)
    {
        foreach (var name in record.Names.Where(n => n.StartsWith("o_", StringComparison.Ordinal)).ToList())
        {
            record.Remove(name);
        }

        return record.ToString();
    }

    [Fact]
    public async Task Plan_TableOnAPipe_IsReadOnce_AndTheSignatureCoversTheBytesThatWereJoined()
    {
        // A FIFO gives its bytes once: a step that read its table twice (once to join, once to hash)
        // would block on the second read, or sign bytes it never joined.
        using var temp = new TempDirectory();
        var fifo = temp.File("airports.csv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var content = await File.ReadAllBytesAsync(TestData.AirportsCsv);
        var writer = Task.Run(async () =>
        {
            await using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await pipe.WriteAsync(content);
        });

        var plan = await Task.Run(() => _harness.PlanAsync(PipelineHarness.OverFlights($$"""
            [ { "Name": "airports", "Type": "Lookup", "Params": { "File": {{TestData.Quote(fifo)}}, "Key": "origin", "On": "iata", "Prefix": "o_" } } ]
            """))).WaitAsync(TimeSpan.FromSeconds(30));
        await writer.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Flow.Caching.CacheHash.Of(content), plan.Validated["airports"].Parameters.ContentHashes["File"]);
        var result = await PipelineHarness.RunAsync(plan);
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal("Detroit Metropolitan-Wayne County", _harness.Collected().Records[0]["o_name"]);
    }

    [Fact]
    public async Task Process_TableWithACodeThatLooksLikeANumber_MatchesItAsWritten()
    {
        using var temp = new TempDirectory();
        var file = temp.File("codes.csv");
        await File.WriteAllTextAsync(file, "code,label\n0E8,crownpoint\n1.50,one and a half\n");
        var records = new[] { "{\"k\":\"0E8\"}", "{\"k\":\"1.50\"}", "{\"k\":\"1.5\"}" };
        var input = temp.File("in.jsonl");
        await File.WriteAllLinesAsync(input, records);

        var result = await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Steps": [ { "Name": "l", "Type": "Lookup", "Params": { "File": {{TestData.Quote(file)}}, "Key": "k", "On": "code" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(new object?[] { "crownpoint", "one and a half", null }, _harness.Collected().Records.Select(r => r["label"]));
    }

    private static async Task<string> WriteTwoAirportsAsync(TempDirectory temp)
    {
        var lines = (await File.ReadAllLinesAsync(TestData.AirportsCsv))
            .Where((line, i) => i == 0 || line.StartsWith("DTW,", StringComparison.Ordinal) || line.StartsWith("LAS,", StringComparison.Ordinal));
        var file = temp.File("two-airports.csv");
        await File.WriteAllLinesAsync(file, lines);
        return file;
    }

    private async Task<IReadOnlyList<Record>> LookupWithTwoAirportsAsync(TempDirectory temp, string required)
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
