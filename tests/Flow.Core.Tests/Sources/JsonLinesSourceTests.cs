using Flow.Execution;

namespace Flow.Core.Tests.Sources;

public sealed class JsonLinesSourceTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task ReadAsync_FlightLinesWithBlankLines_GivesEveryRecordInOrder()
    {
        using var temp = new TempDirectory();
        var lines = TestData.FlightLines().Take(1500).ToList();
        var path = temp.File("flights.jsonl");
        await File.WriteAllTextAsync(path, string.Join("\n", lines.Take(700)) + "\n\n   \n" + string.Join("\n", lines.Skip(700)) + "\n");

        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(lines, _harness.Collected().Records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_Glob_ReadsMatchingFilesInNameOrder()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("b.jsonl"), """{"n":3}""" + "\n" + """{"n":4}""" + "\n");
        await File.WriteAllTextAsync(temp.File("a.jsonl"), """{"n":1}""" + "\n" + """{"n":2}""" + "\n");
        await File.WriteAllTextAsync(temp.File("c.txt"), """{"n":99}""" + "\n");

        await _harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(temp.File("*.jsonl"))}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(new object[] { 1L, 2L, 3L, 4L }, _harness.Collected().Records.Select(r => r["n"]!));
    }
}
