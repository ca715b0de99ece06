using Flow.Pipelines;

namespace Flow.Core.Tests.Pipelines;

/// <summary>Outputs that would destroy data are configuration errors, found before any work.</summary>
public sealed class OutputValidationTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TwoSinksOnOneFile_AreAnError_NamingBoth()
    {
        var path = TestData.Quote(_temp.File("out.jsonl"));
        var errors = await ErrorsAsync($$"""
            [ { "Name": "a", "Type": "JsonLines", "Params": { "Path": {{path}} } },
              { "Name": "b", "Type": "Csv", "Params": { "Path": {{path}} } } ]
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Sinks:1:Params:Path", error.Path);
        Assert.Contains("also the output of sink 'a'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SinkPathThatIsAFolder_IsAnError(bool trailingSlash)
    {
        var folder = _temp.File("results");
        Directory.CreateDirectory(folder);
        var written = trailingSlash ? _temp.File("new-folder") + "/" : folder;

        var errors = await ErrorsAsync($$"""[ { "Name": "a", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(written)}} } } ]""");

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Sinks:0:Params:Path", error.Path);
        Assert.Contains("is a folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SinkWritingTheSourcesFile_IsAnError()
    {
        var input = _temp.File("data.jsonl");
        await File.WriteAllTextAsync(input, "{\"a\":1}\n");

        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [ { "Name": "o", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("Flow:Pipelines:p:Sinks:0:Params:Path", error.Path);
        Assert.Contains("is read by 's'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SinkWritingALookupsTable_IsAnError()
    {
        var table = _temp.File("airports.csv");
        File.Copy(TestData.AirportsCsv, table);

        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ],
              "Steps": [ { "Name": "l", "Type": "Lookup", "Params": { "File": {{TestData.Quote(table)}}, "Key": "origin", "On": "iata" } } ],
              "Sinks": [ { "Name": "o", "Type": "Csv", "Params": { "Path": {{TestData.Quote(table)}} } } ]
            }
            """);

        Assert.Contains("is read by 'l'", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourcePathThatIsAFolder_SaysSo()
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Json", "Params": { "Path": {{TestData.Quote(_temp.Path)}} } } ],
              "Sinks": [ { "Name": "o", "Type": "Collect" } ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Contains("is a folder, not a file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private Task<IReadOnlyList<ConfigurationError>> ErrorsAsync(string sinksJson) => _harness.ConfigurationErrorsAsync($$"""
        { "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": "samples/data/flights-20k.json" } } ], "Sinks": {{sinksJson}} }
        """);
}
