using System.Text.Json;

namespace Flow.Worker.Tests.Samples;

/// <summary>samples/flights: the commands of its README, run as written, give what the README shows.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class FlightsSampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ReadmeCommands_GiveTheFilesTheReadmeDescribes_ThenAllHits_ThenAPartialHit()
    {
        var readme = SampleReadme.Of("flights");
        var commands = readme.FlowCommands();
        Assert.Equal(2, commands.Count);
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "flights");
        var jsonLines = workspace.File("out/flights-sample/late.jsonl");
        var csv = workspace.File("out/flights-sample/late.csv");

        await RunAsync(workspace, [.. commands[0], "--report", "first.json"]);
        Assert.Equal(4349, FlowWorkspace.LineCount(jsonLines));
        Assert.Equal(4350, FlowWorkspace.LineCount(csv));
        var shown = readme.OutputLines();
        Assert.Equal(shown.Take(2), File.ReadLines(jsonLines).Take(2));
        Assert.All(Steps, step => Assert.Equal((0L, 20L), workspace.ReportedCounts("first.json", "flights-sample", step)));
        var (firstJsonLines, firstCsv) = (await File.ReadAllBytesAsync(jsonLines), await File.ReadAllBytesAsync(csv));

        await RunAsync(workspace, [.. commands[0], "--report", "second.json"]);
        Assert.All(Steps, step => Assert.Equal((20L, 0L), workspace.ReportedCounts("second.json", "flights-sample", step)));
        Assert.Equal(firstJsonLines, await File.ReadAllBytesAsync(jsonLines));
        Assert.Equal(firstCsv, await File.ReadAllBytesAsync(csv));

        var changed = await RunAsync(workspace, [.. commands[1], "--report", "third.json"]);
        Assert.All(Steps[..3], step => Assert.Equal((20L, 0L), workspace.ReportedCounts("third.json", "flights-sample", step)));
        Assert.All(Steps[3..], step => Assert.Equal((0L, 20L), workspace.ReportedCounts("third.json", "flights-sample", step)));
        Assert.Equal(1089, FlowWorkspace.LineCount(jsonLines));
        Assert.Contains("60 of 100 step batches from the cache", changed, StringComparison.Ordinal);
    }

    private static readonly string[] Steps = ["origin", "destination", "measure", "late", "columns"];


    private static async Task<string> RunAsync(FlowWorkspace workspace, string[] args)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        return flow.StandardError;
    }
}
