namespace Flow.Worker.Tests;

/// <summary>The strict readers through the real process: what a bad file does to the exit code and what the message says.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ReadersEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task JsonLines_ObjectFollowedByGarbage_FailsNamingFileLineAndColumn()
    {
        using var workspace = new FlowWorkspace();
        var input = workspace.WriteFile("in.jsonl", "{\"a\":1} garbage\n");

        await using var flow = await RunAsync(workspace, "JsonLines", "in.jsonl");

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        // Column 9 is the 'g': the first byte after the object and its space.
        Assert.Contains($"{input}:1:9: unexpected content after the object ('garbage')", flow.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.File("out/result.jsonl")));
    }

    [Fact]
    public async Task Json_SyntaxErrorOnLineThree_NamesFileLineAndItemButNoJsonPath()
    {
        using var workspace = new FlowWorkspace();
        var input = workspace.WriteFile("in.json", "[\n{\"a\":1},\n{\"a\":2,,},\n{\"a\":3}\n]\n");

        await using var flow = await RunAsync(workspace, "Json", "in.json");

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        var error = Assert.Single(ErrorLines(flow));
        Assert.Contains($"{input}:3:", error, StringComparison.Ordinal);
        // Items count from 0, as records and batches do: the second object of the array.
        Assert.EndsWith("(item 1)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("$[", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_RepeatedHeaderName_FailsNamingFileLineAndName()
    {
        using var workspace = new FlowWorkspace();
        var input = workspace.WriteFile("in.csv", "a,a,b\n1,2,3\n");

        await using var flow = await RunAsync(workspace, "Csv", "in.csv");

        Assert.True(flow.ExitCode == 1, $"exit code {flow.ExitCode}; stderr:{Environment.NewLine}{flow.StandardError}");
        Assert.Contains($"{input}:1: column 2 repeats the header name 'a' of column 1", flow.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.File("out/result.jsonl")));
    }

    [Fact]
    public async Task Csv_RepeatedHeaderNameWithRename_NumbersTheRepeat()
    {
        using var workspace = new FlowWorkspace();
        workspace.WriteFile("in.csv", "a,a,b\n1,2,3\n");

        await using var flow = await RunAsync(workspace, "Csv", "in.csv", """, "DuplicateHeaders": "Rename" """);

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Equal("{\"a\":1,\"a_2\":2,\"b\":3}\n", await File.ReadAllTextAsync(workspace.File("out/result.jsonl")));
    }

    [Fact]
    public async Task JsonLines_NumbersPastInt64AndDouble_AreKeptAsTheirExactTextWithAWarning()
    {
        using var workspace = new FlowWorkspace();
        var input = workspace.WriteFile("in.jsonl", "{\"big\":12345678901234567890,\"huge\":1e400}\n");

        await using var flow = await RunAsync(workspace, "JsonLines", "in.jsonl");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        Assert.Equal("{\"big\":\"12345678901234567890\",\"huge\":\"1e400\"}\n", await File.ReadAllTextAsync(workspace.File("out/result.jsonl")));
        var warnings = flow.StandardError.Split('\n').Where(l => l.Contains(" WRN] ", StringComparison.Ordinal)).ToList();
        Assert.Contains(warnings, w => w.Contains($"{input}:1:8: field 'big' holds the number 12345678901234567890", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains($"{input}: 2 numbers", StringComparison.Ordinal));
    }

    private static Task<FlowProcess> RunAsync(FlowWorkspace workspace, string type, string path, string moreParams = "")
    {
        var config = workspace.WritePipeline($$"""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "s", "Type": "{{type}}", "Params": { "Path": "{{path}}" {{moreParams}} } } ],
              "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out/result.jsonl" } } ]
            }
            """);
        return FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);
    }

    private static IEnumerable<string> ErrorLines(FlowProcess flow) =>
        flow.StandardError.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains(" ERR] ", StringComparison.Ordinal));
}
