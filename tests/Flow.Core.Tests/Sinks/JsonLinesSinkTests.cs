using System.Text;
using System.Text.Json;
using Flow.Execution;
using Flow.Pipelines;

namespace Flow.Core.Tests.Sinks;

public sealed class JsonLinesSinkTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Write_Flights_OneCompactObjectPerLineInSourceOrder()
    {
        var path = _temp.File("out/flights.jsonl");

        var result = await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        var expected = Encoding.UTF8.GetBytes(string.Concat(TestData.FlightLines().Select(line => line + "\n")));
        Assert.Equal(expected, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public async Task Write_NestedUnicodeAndNullValues_ExactBytes()
    {
        var input = _temp.File("in.jsonl");
        var lines = new[]
        {
            """{"name":"Zürich \"Kloten\"","tags":["a",1,null,true],"geo":{"lat":47.4647,"lon":8.5492},"ok":false,"none":null}""",
            """{"n":-12,"x":0.1,"big":12345678901234,"s":"tab\there"}""",
        };
        await File.WriteAllTextAsync(input, string.Join("\n", lines) + "\n");
        var path = _temp.File("out.jsonl");

        await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        Assert.Equal(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Write_DuringTheRun_OutputIsInPartialAndMovedIntoPlaceOnCompletion()
    {
        var path = _temp.File("out.jsonl");
        var gate = new GateStep(atBatch: 2);
        _harness.Registry.Register(NodeKind.Step, "Gate", _ => gate);
        var plan = await _harness.PlanAsync($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000 } } ],
              "Steps": [ { "Name": "gate", "Type": "Gate" } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        var run = PipelineHarness.RunAsync(plan);
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(File.Exists(path + ".partial"));
        Assert.False(File.Exists(path));

        gate.Release();
        var result = await run;

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.False(File.Exists(path + ".partial"));
        var ids = (await File.ReadAllLinesAsync(path)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64());
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Write_FailedRun_LeavesThePreviousOutputUntouched()
    {
        var path = _temp.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"previous\":true}\n");
        _harness.Registry.Register(NodeKind.Step, "Throw", _ => new ThrowingStep(failAtId: 450));

        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000 } } ],
              "Steps": [ { "Name": "boom", "Type": "Throw" } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("{\"previous\":true}\n", await File.ReadAllTextAsync(path));
        // What the failed run wrote stays aside, in whole lines.
        var partial = await File.ReadAllLinesAsync(path + ".partial");
        Assert.All(partial, line => Assert.True(JsonDocument.Parse(line).RootElement.GetProperty("id").GetInt64() < 400));
    }
}
