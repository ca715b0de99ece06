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
        CopySample(workspace, "flights");
        var jsonLines = workspace.File("out/flights-sample/late.jsonl");
        var csv = workspace.File("out/flights-sample/late.csv");

        await RunAsync(workspace, [.. commands[0], "--report", "first.json"]);
        Assert.Equal(4349, FlowWorkspace.LineCount(jsonLines));
        Assert.Equal(4350, FlowWorkspace.LineCount(csv));
        var shown = readme.OutputLines();
        Assert.Equal(shown.Take(2), File.ReadLines(jsonLines).Take(2));
        Assert.All(Steps, step => Assert.Equal((0L, 20L), Counts(workspace, "first.json", step)));
        var (firstJsonLines, firstCsv) = (await File.ReadAllBytesAsync(jsonLines), await File.ReadAllBytesAsync(csv));

        await RunAsync(workspace, [.. commands[0], "--report", "second.json"]);
        Assert.All(Steps, step => Assert.Equal((20L, 0L), Counts(workspace, "second.json", step)));
        Assert.Equal(firstJsonLines, await File.ReadAllBytesAsync(jsonLines));
        Assert.Equal(firstCsv, await File.ReadAllBytesAsync(csv));

        var changed = await RunAsync(workspace, [.. commands[1], "--report", "third.json"]);
        Assert.All(Steps[..3], step => Assert.Equal((20L, 0L), Counts(workspace, "third.json", step)));
        Assert.All(Steps[3..], step => Assert.Equal((0L, 20L), Counts(workspace, "third.json", step)));
        Assert.Equal(1089, FlowWorkspace.LineCount(jsonLines));
        Assert.Contains("60 of 100 step batches from the cache", changed, StringComparison.Ordinal);
    }

    private static readonly string[] Steps = ["origin", "destination", "measure", "late", "columns"];

    /// <summary>The sample's folder and the shared data, where the README's paths (from the repository root) find them.</summary>
    internal static void CopySample(FlowWorkspace workspace, string sample)
    {
        foreach (var folder in new[] { Path.Combine("samples", "data"), Path.Combine("samples", sample) })
        {
            var from = Path.Combine(TestData.RepoRoot, folder);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                     && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                workspace.WriteFile(Path.Combine(folder, Path.GetRelativePath(from, file)), File.ReadAllBytes(file));
            }
        }
    }

    private static async Task<string> RunAsync(FlowWorkspace workspace, string[] args)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
        return flow.StandardError;
    }

    private static (long Hits, long Misses) Counts(FlowWorkspace workspace, string report, string step)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(workspace.File(report)));
        var node = document.RootElement.GetProperty("pipelines").GetProperty("flights-sample").GetProperty("nodes").GetProperty(step);
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("misses").GetInt64());
    }
}
