using System.Text.Json;

namespace Flow.Worker.Tests;

/// <summary>
/// <c>--config FILE.yaml</c> through the real process: what YAML users write (anchors, block
/// scalars, both kinds of sequences) means what the same JSON would, a YAML mistake is a
/// configuration error that points at the line, and a bad key names the YAML file it came from.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class YamlConfigurationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ValidateAndRun_AnchorsBlockScalarsAndSequences_MeanWhatTheSameJsonWould()
    {
        using var workspace = new FlowWorkspace();
        // An anchored Params reused by two steps; a literal block Where over two lines (with the
        // newline and indentation kept); Inputs and Fields as flow and block sequences.
        var config = WriteYaml(workspace, $$"""
            # Late long flights, and every flight, both cut to three fields.
            Flow:
              Pipelines:
                flights:
                  BatchSize: 5000
                  Sources:
                    - Name: flights
                      Type: Json
                      Params: { Path: {{TestData.Quote(TestData.FlightsJson)}} }
                  Steps:
                    - Name: late
                      Type: Filter
                      Inputs: [ flights ]
                      Params:
                        Where: |
                          delay > 15
                            and distance > 1000
                    - Name: slim
                      Type: Select
                      Inputs:
                        - late
                      Params: &fields
                        Fields:
                          - date
                          - delay
                          - origin
                    - Name: all
                      Type: Select
                      Inputs: [ flights ]
                      Params: *fields
                  Sinks:
                    - Name: late-out
                      Type: JsonLines
                      Inputs: [ slim ]
                      Params:
                        Path: out/late.jsonl
                    - Name: everything
                      Type: JsonLines
                      Inputs: [ all ]
                      Params: { Path: out/all.jsonl }
            """);

        await using var validate = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);
        await using var run = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, "--report", "report.json");

        Assert.True(validate.ExitCode == 0, validate.StandardError);
        Assert.Contains("flow: configuration is valid (flights: 6 nodes)", validate.StandardOutput, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.StandardError);
        var flights = TestData.Flights();
        Assert.Equal(
            flights.Where(f => f.GetProperty("delay").GetInt64() > 15 && f.GetProperty("distance").GetInt64() > 1000).Select(Slim),
            await File.ReadAllLinesAsync(workspace.File("out/late.jsonl")));
        Assert.Equal(flights.Select(Slim), await File.ReadAllLinesAsync(workspace.File("out/all.jsonl")));
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("report.json")));
        var nodes = report.RootElement.GetProperty("pipelines").GetProperty("flights").GetProperty("nodes");
        Assert.Equal(TestData.FlightCount, nodes.GetProperty("all").GetProperty("recordsOut").GetInt64());
    }

    [Fact]
    public async Task Run_BirdstrikesSampleFromTheRepositoryRoot_WritesTheCostlyStrikes()
    {
        using var workspace = new FlowWorkspace();
        var output = workspace.File("costly-birdstrikes.csv");

        // As README tells it, from the repository root; only the output and the cache are moved
        // out of the repository.
        await using var flow = await FlowProcess.RunAsync(TestData.RepoRoot, Timeout,
            "run", "--config", "samples/pipelines/birdstrikes.yaml", "--pipeline", "birdstrikes",
            $"--Flow:Pipelines:birdstrikes:Sinks:0:Params:Path={output}", "--Flow:Cache:Store=Memory");

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        // The sample data has no quoted fields: a plain split reads it.
        var rows = (await File.ReadAllLinesAsync(Path.Combine(TestData.RepoRoot, "samples", "data", "birdstrikes.csv"))).Skip(1).Select(l => l.Split(','));
        var expected = rows.Where(r => double.Parse(r[12], System.Globalization.CultureInfo.InvariantCulture) > 0).Select(r => $"{r[3]},{r[0]},{r[8]},{r[12]}");
        var written = await File.ReadAllLinesAsync(output);
        Assert.Equal(new[] { "date,airport,species,cost" }.Concat(expected), written);
    }

    [Fact]
    public async Task Validate_YamlSyntaxError_ExitsTwoNamingFileLineAndColumn_WithoutAStackTrace()
    {
        using var workspace = new FlowWorkspace();
        var config = WriteYaml(workspace, """
            Flow:
              Pipelines:
                p:
                  BatchSize: 10
                 Sources: []
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.StartsWith($"flow: configuration error: --config: '{config}' is not valid YAML at line 5, column 6: ", flow.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", flow.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UnclosedFlowSequence_ExitsTwoSayingHowFarTheFileIsValid()
    {
        using var workspace = new FlowWorkspace();
        // YamlDotNet throws a bare exception here, with no position of its own.
        var config = WriteYaml(workspace, """
            Flow:
              Cache:
                Enabled: [ true, false
                Store: File
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains($"--config: '{config}' is not valid YAML after line 3, column ", flow.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", flow.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", flow.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UnknownKeyInYaml_NamesTheYamlFileItCameFrom()
    {
        using var workspace = new FlowWorkspace();
        var config = WriteYaml(workspace, $$"""
            Flow:
              Cache:
                Stor: File
              Pipelines:
                p:
                  Sources: [ { Name: flights, Type: Json, Params: { Path: {{TestData.Quote(TestData.FlightsJson)}} } } ]
                  Sinks: [ { Name: out, Type: JsonLines, Params: { Path: out.jsonl } } ]
            """);

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "validate", "--config", config);

        Assert.Equal(2, flow.ExitCode);
        Assert.Contains("Flow:Cache:Stor: unknown setting 'Stor' (did you mean 'Store'?)", flow.StandardError, StringComparison.Ordinal);
        Assert.Matches(@"Flow:Cache:Stor: .* \(in ([^()]*/)?config\.yaml\)", flow.StandardError);
    }

    private static string WriteYaml(FlowWorkspace workspace, string yaml)
    {
        var path = workspace.File("config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    // What a Select of date, delay and origin writes for a flight, computed without Flow.
    private static string Slim(JsonElement flight) =>
        $$"""{"date":{{flight.GetProperty("date").GetRawText()}},"delay":{{flight.GetProperty("delay").GetRawText()}},"origin":{{flight.GetProperty("origin").GetRawText()}}}""";
}
