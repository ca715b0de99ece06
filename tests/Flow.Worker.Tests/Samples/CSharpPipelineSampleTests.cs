using System.Text.RegularExpressions;

namespace Flow.Worker.Tests.Samples;

/// <summary>samples/CSharpPipeline: the program its README runs gives the output the README shows, and replays when run again.</summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class CSharpPipelineSampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Program_WritesTheScoredFlightsTheReadmeShows_AndTheSecondRunReplaysTheCustomStep()
    {
        var readme = SampleReadme.Of("CSharpPipeline");
        Assert.Equal([["dotnet", "run", "--project", "samples/CSharpPipeline"]], readme.Commands());
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "CSharpPipeline");
        var output = workspace.File("out/scored-flights.jsonl");

        var cold = await RunAsync(workspace);
        Assert.Equal(4349, FlowWorkspace.LineCount(output));
        Assert.Equal(readme.OutputLines(), File.ReadLines(output).Take(2));
        Assert.Matches(StepRow("score", hits: 0, misses: 40), cold);
        var coldBytes = await File.ReadAllBytesAsync(output);

        var warm = await RunAsync(workspace);
        Assert.Matches(StepRow("late", hits: 40, misses: 0), warm);
        Assert.Matches(StepRow("score", hits: 40, misses: 0), warm);
        Assert.Equal(coldBytes, await File.ReadAllBytesAsync(output));
    }

    private static Regex StepRow(string step, int hits, int misses) =>
        new($@"(?m)^\s+{step}\s+step\s+40\s+{hits}\s+0\s+{misses}\s"); // waited: 0

    private static async Task<string> RunAsync(FlowWorkspace workspace)
    {
        await using var program = FlowProcess.StartProgram("CSharpPipeline.dll", workspace.Path, new Dictionary<string, string>());
        var exitCode = await program.WaitForExitAsync(Timeout);
        Assert.True(exitCode == 0, program.StandardError + program.StandardOutput);
        return program.StandardOutput + program.StandardError;
    }
}
