using System.Text;
using Flow.Core.Tests;
using Flow.Execution;
using Flow.Parameters;
using Flow.Sources.BuiltIn;

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

        var result = await RunAsync(path, batchSize: 100);

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

        await RunAsync(temp.File("*.jsonl"));

        Assert.Equal(new object[] { 1L, 2L, 3L, 4L }, _harness.Collected().Records.Select(r => r["n"]!));
    }

    [Fact]
    public async Task ReadAsync_BomCrlfAndLastLineWithoutLineEnd_GivesEveryRecord()
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.jsonl");
        await File.WriteAllTextAsync(path, "{\"n\":1}\r\n\r\n{\"n\":2}\r\n{\"n\":3}", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var result = await RunAsync(path);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(new object[] { 1L, 2L, 3L }, _harness.Collected().Records.Select(r => r["n"]!));
    }

    [Fact]
    public async Task ReadAsync_LineWithGarbageAfterTheObject_FailsNamingFileLineAndColumn()
    {
        var (path, result) = await RunOverAsync("{\"a\":1}\n{\"a\":2}\n{\"a\":1} garbage\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:3:9: unexpected content after the object ('garbage'); a JSON Lines line holds exactly one object", result.Error!.Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }

    [Fact]
    public async Task ReadAsync_LineWithTwoObjects_FailsInsteadOfDroppingTheSecond()
    {
        var (path, result) = await RunOverAsync("{\"a\":3},{\"a\":4}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:8: unexpected content after the object (',{{\"a\":4}}')", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NumbersBeyondLongOrDouble_KeepTheirLiteralText()
    {
        var (_, result) = await RunOverAsync("{\"big\":12345678901234567890,\"huge\":1e400,\"tiny\":-1e400,\"max\":9223372036854775807,\"e\":1e5}\n");

        Assert.Equal(RunStatus.Completed, result.Status);
        var record = Assert.Single(_harness.Collected().Records);
        Assert.Equal("12345678901234567890", record["big"]);
        Assert.Equal("1e400", record["huge"]);
        Assert.Equal("-1e400", record["tiny"]);
        Assert.Equal(long.MaxValue, record["max"]);
        Assert.Equal(100000.0, record["e"]);
    }

    [Fact]
    public async Task ReadAsync_SyntaxErrorOnLineThree_NamesFileLineAndColumn()
    {
        var (path, result) = await RunOverAsync("{\"a\":1}\n\n{\"a\": garbage}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:3:7: invalid JSON: 'g' is an invalid start of a value", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RepeatedKey_FailsNamingFileLineColumnAndKey()
    {
        var (path, result) = await RunOverAsync("{\"a\":1}\n{\"a\":1,\"a\":2}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:2:8: repeated key 'a'", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_UnpairedSurrogateEscape_FailsAtItsPosition()
    {
        var (path, result) = await RunOverAsync("{\"s\":\"ok\"}\n{\"s\":\"x\\ud800\"}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:2:8: field 's': the string holds '\\ud800', an unpaired surrogate", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NestingDeeperThan64Levels_FailsAtItsPosition()
    {
        var (path, result) = await RunOverAsync("{\"v\":" + new string('[', 65) + new string(']', 65) + "}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:70: field 'v[0]", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("nest deeper than 64 levels", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_CommentLine_FailsTheRun()
    {
        var (path, result) = await RunOverAsync("// exported 2026-01-01\n{\"a\":1}\n");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains($"{path}:1:1: invalid JSON: '/' is an invalid start of a value; comments are not JSON", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NumbersKeptAsText_WarnOncePerFileAndCountEach()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("a.jsonl"), "{\"n\":1e400}\n{\"n\":2e400}\n{\"n\":3e400}\n");
        await File.WriteAllTextAsync(temp.File("b.jsonl"), "{\"n\":1}\n{\"n\":99999999999999999999}\n");
        var logger = new ListLogger();
        var source = new JsonLinesSource(PathParameters(temp.File("*.jsonl")), logger);

        var values = new List<object?>();
        await foreach (var record in source.ReadAsync(CancellationToken.None))
        {
            values.Add(record["n"]);
        }

        Assert.Equal(new object?[] { "1e400", "2e400", "3e400", 1L, "99999999999999999999" }, values);
        Assert.Equal(
            new[]
            {
                $"{temp.File("a.jsonl")}:1:6: field 'n' holds the number 1e400, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file",
                $"{temp.File("a.jsonl")}: 3 numbers that fit neither a 64-bit integer nor a double were kept as text",
                $"{temp.File("b.jsonl")}:2:6: field 'n' holds the number 99999999999999999999, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file",
            },
            logger.Warnings);
    }

    internal static NodeParameters PathParameters(string path) => new(
        ParamNode.Section(new[] { new KeyValuePair<string, ParamNode>("Path", ParamNode.Leaf(path)) }),
        "Flow:Pipelines:p:Sources:0:Params",
        TestData.RepoRoot);

    private async Task<(string Path, PipelineResult Result)> RunOverAsync(string text)
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.jsonl");
        await File.WriteAllTextAsync(path, text);
        return (path, await RunAsync(path));
    }

    private Task<PipelineResult> RunAsync(string path, int batchSize = 500) => _harness.RunAsync($$"""
        {
          "BatchSize": {{batchSize}},
          "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } } ],
          "Sinks": [ { "Name": "out", "Type": "Collect" } ]
        }
        """);
}
