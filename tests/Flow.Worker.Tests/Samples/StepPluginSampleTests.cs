using System.Diagnostics;

namespace Flow.Worker.Tests.Samples;

/// <summary>samples/StepPlugin: the README's two commands (publish the plug-in, run flow) give the output it shows.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class StepPluginSampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task PublishedPlugin_IsLoadedByTypeName_AndItsStepComputesThenReplays()
    {
        var readme = SampleReadme.Of("StepPlugin");
        var publish = readme.Commands().Single(c => c[..2] is ["dotnet", "publish"]);
        Assert.Equal(["dotnet", "publish", "samples/StepPlugin", "-c", "Release", "-o", "out/plugins/StepPlugin"], publish);
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "StepPlugin");

        // Built from the repository's sources (the sample references Flow.Core), into the workspace's out/plugins/StepPlugin.
        await PublishAsync([.. publish[2..^1], workspace.File(publish[^1])]);
        var run = readme.FlowCommands().Single();
        await using (var cold = await FlowProcess.RunAsync(workspace.Path, Timeout, [.. run, "--report", "cold.json"]))
        {
            Assert.True(cold.ExitCode == 0, cold.StandardError);
        }

        var output = workspace.File("out/airports-geohash.jsonl");
        Assert.Equal(3376, FlowWorkspace.LineCount(output));
        Assert.Equal(readme.OutputLines().Where(l => l.StartsWith('{')), File.ReadLines(output).Take(2));

        await using var warm = await FlowProcess.RunAsync(workspace.Path, Timeout, [.. run]);
        Assert.True(warm.ExitCode == 0, warm.StandardError);
        Assert.Matches(@"(?m)^\s+geohash\s+step\s+7\s+7\s+0\s+0\s", warm.StandardError);
    }

    [Fact]
    public async Task MissingPlugin_IsAConfigurationErrorOfItsKey()
    {
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "StepPlugin");

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "--config", "samples/StepPlugin/pipeline.yaml", "--pipeline", "airports-geohash");

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("Flow:Plugins:0: 'out/plugins/StepPlugin/Flow.Samples.Plugin.dll' does not exist", flow.StandardError, StringComparison.Ordinal);
    }

    private static async Task PublishAsync(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestData.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("publish");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        Assert.True(process.ExitCode == 0, await output + await error);
    }
}
