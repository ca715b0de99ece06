using Flow.Execution;

namespace Flow.Core.Tests.Sinks;

public sealed class CsvSinkTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Write_Records_HeaderFromFirstRecordAndQuotedCellsWhereNeeded()
    {
        var input = _temp.File("in.jsonl");
        await File.WriteAllTextAsync(input, string.Join("\n",
            """{"code":"a","text":"plain","n":1,"x":2.5,"ok":true}""",
            """{"code":"b","text":"one, two","n":-3,"x":null,"ok":false}""",
            """{"code":"c","text":"say \"hi\"","n":0,"x":1e-7}""",
            """{"code":"d","text":"two\nlines","n":7,"x":100.25,"ok":null}""",
            """{"code":"e","text":" padded ","n":8,"x":0.5,"ok":true}""") + "\n");
        var path = _temp.File("out.csv");

        var result = await new PipelineHarness().RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Csv", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(
            "code,text,n,x,ok\n"
            + "a,plain,1,2.5,true\n"
            + "b,\"one, two\",-3,,false\n"
            + "c,\"say \"\"hi\"\"\",0,1E-07,\n"
            + "d,\"two\nlines\",7,100.25,\n"
            + "e,\" padded \",8,0.5,true\n",
            await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Write_Airports_RoundTripsThroughTheCsvSource()
    {
        var path = _temp.File("airports-copy.csv");
        var write = await new PipelineHarness().RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Csv", "Params": { "Path": "samples/data/airports.csv" } } ],
              "Sinks": [ { "Name": "out", "Type": "Csv", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);
        Assert.Equal(RunStatus.Completed, write.Status);

        var original = await ReadCsvAsync(TestData.AirportsCsv);
        var copy = await ReadCsvAsync(path);

        Assert.Equal(TestData.AirportCount, copy.Count);
        Assert.Equal(original, copy);
        Assert.Contains(copy, r => r.Contains(',', StringComparison.Ordinal) && r.Contains("\"name\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_QuotesCommasAndNewlines_RoundTripThroughTheCsvSource()
    {
        var input = _temp.File("in.jsonl");
        var lines = new[]
        {
            """{"id":1,"text":"a, b","note":"line1\nline2"}""",
            """{"id":2,"text":"\"quoted\"","note":"crlf\r\nend"}""",
            """{"id":3,"text":"","note":"x"}""",
        };
        await File.WriteAllTextAsync(input, string.Join("\n", lines) + "\n");
        var path = _temp.File("out.csv");
        await new PipelineHarness().RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Csv", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        var back = await ReadCsvAsync(path);

        // An empty cell reads back as null: CSV cannot tell "" from a missing value.
        Assert.Equal(new[] { lines[0], lines[1], """{"id":3,"text":null,"note":"x"}""" }, back);
    }

    [Fact]
    public async Task Write_BatchWithARecordTheHeaderLacks_WritesNoneOfIt_AndItsErrorSinkGetsItWhole()
    {
        var input = _temp.File("in.jsonl");
        await File.WriteAllTextAsync(input, "{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":3}\n{\"a\":4}\n");
        var path = _temp.File("out.csv");
        var errors = _temp.File("errors.jsonl");

        var result = await new PipelineHarness().RunAsync($$"""
            {
              "BatchSize": 2,
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [
                { "Name": "out", "Type": "Csv", "ErrorSink": "errors", "Params": { "Path": {{TestData.Quote(path)}} } },
                { "Name": "errors", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(errors)}} } }
              ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal("a\n1\n2\n", (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n"));
        var failed = await File.ReadAllLinesAsync(errors);
        Assert.Equal(2, failed.Length);
        Assert.EndsWith(""","error":"record 0 of the batch has field 'b', which is not a column of the CSV file (its columns come from the first record: a)","record":{"a":3,"b":3}}""", failed[0], StringComparison.Ordinal);
        Assert.EndsWith("""
            "record":{"a":4}}
            """, failed[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_RecordWithAFieldTheHeaderLacks_FailsTheRun()
    {
        var input = _temp.File("in.jsonl");
        await File.WriteAllTextAsync(input, "{\"a\":1}\n{\"a\":2,\"b\":3}\n");
        var path = _temp.File("out.csv");

        var result = await new PipelineHarness().RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Csv", "Params": { "Path": {{TestData.Quote(path)}} } } ]
            }
            """);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("record 1 of the batch has field 'b', which is not a column of the CSV file (its columns come from the first record: a)", result.Error!.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private static async Task<IReadOnlyList<string>> ReadCsvAsync(string path)
    {
        var harness = new PipelineHarness();
        var result = await harness.RunAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Csv", "Params": { "Path": {{TestData.Quote(path)}} } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        Assert.Equal(RunStatus.Completed, result.Status);
        return harness.Collected().Records.Select(r => r.ToString()).ToList();
    }
}
