using Flow.Batches;
using Flow.Execution;

namespace Flow.Core.Tests.Sources;

public sealed class CsvSourceTests
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task ReadAsync_Airports_GivesEveryRowWithInferredTypes()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv" }""");

        Assert.Equal(TestData.AirportCount, records.Count);
        var first = records[0];
        Assert.Equal(new[] { "iata", "name", "city", "state", "country", "latitude", "longitude" }, first.Names);
        Assert.Equal("00M", first["iata"]);
        Assert.Equal("Thigpen", first["name"]);
        Assert.Equal(31.95376472, Assert.IsType<double>(first["latitude"]));
        Assert.Equal(-89.23450472, Assert.IsType<double>(first["longitude"]));
        Assert.Equal("Detroit Metropolitan-Wayne County", records.Single(r => r["iata"] as string == "DTW")["name"]);
        Assert.All(records, r => Assert.IsType<string>(r["iata"]));
        Assert.All(records, r => Assert.IsType<double>(r["latitude"]));
        Assert.All(records, r => Assert.IsType<double>(r["longitude"]));
    }

    [Fact]
    public async Task ReadAsync_CodesInExponentForm_StayText()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv" }""");

        // "0E0" and "0E8" fit the JSON number grammar; as numbers both would read 0.
        Assert.Equal("Moriarty", records.Single(r => r["iata"] as string == "0E0")["name"]);
        Assert.Equal("Crownpoint", records.Single(r => r["iata"] as string == "0E8")["name"]);
    }

    [Fact]
    public async Task ReadAsync_InferTypesFalse_KeepsEveryCellAsText()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv", "InferTypes": false }""");

        Assert.Equal(TestData.AirportCount, records.Count);
        Assert.Equal("31.95376472", records[0]["latitude"]);
        Assert.All(records, r => Assert.All(r, field => Assert.True(field.Value is null or string, $"{field.Key} is {field.Value?.GetType()}")));
    }

    [Fact]
    public async Task ReadAsync_HeaderFalse_NamesColumnsByPositionAndKeepsTheFirstRow()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/airports.csv", "Header": false }""");

        Assert.Equal(TestData.AirportCount + 1, records.Count);
        Assert.Equal(new[] { "column1", "column2", "column3", "column4", "column5", "column6", "column7" }, records[0].Names);
        Assert.Equal("iata", records[0]["column1"]);
        Assert.Equal("00M", records[1]["column1"]);
        // Without a header the names are data: column6 holds "latitude", so the whole column stays text.
        Assert.Equal("31.95376472", records[1]["column6"]);
    }

    [Fact]
    public async Task ReadAsync_SemicolonDelimiter_SplitsOnItAndKeepsCommasInCells()
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.csv");
        await File.WriteAllTextAsync(path, "code;label;count;flag\n007;a,b;42;true\n\"x;y\";\"say \"\"hi\"\"\";-1.5;\n");

        var records = await ReadAsync($$"""{ "Path": {{TestData.Quote(path)}}, "Delimiter": ";" }""");

        Assert.Equal(2, records.Count);
        Assert.Equal("""{"code":"007","label":"a,b","count":42,"flag":true}""", records[0].ToString());
        Assert.Equal("""{"code":"x;y","label":"say \"hi\"","count":-1.5,"flag":null}""", records[1].ToString());
    }

    [Fact]
    public async Task ReadAsync_RepeatedHeaderName_FailsNamingBothColumns()
    {
        var error = await FailAsync("data.csv", "a,a,b\n1,2,3\n");

        Assert.Contains("data.csv:1: column 2 repeats the header name 'a' of column 1", error, StringComparison.Ordinal);
        Assert.Contains("DuplicateHeaders: Rename", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RepeatedHeaderNamesWithRename_KeepsEveryValue()
    {
        var records = await ReadTextAsync("a,a,b,a\n1,2,3,4\n", """ "DuplicateHeaders": "Rename" """);

        Assert.Equal("""{"a":1,"a_2":2,"b":3,"a_3":4}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_RenameWouldClashWithAnExistingName_SkipsThatName()
    {
        var records = await ReadTextAsync("a,a,a_2,a\n1,2,3,4\n", """ "DuplicateHeaders": "Rename" """);

        Assert.Equal("""{"a":1,"a_3":2,"a_2":3,"a_4":4}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_HeaderNamesDifferingOnlyInCase_AreDistinctFields()
    {
        var records = await ReadTextAsync("A,a\n1,2\n");

        Assert.Equal("""{"A":1,"a":2}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_TwoCharacterDelimiter_SplitsOnItAndLeavesCellsAlone()
    {
        var records = await ReadTextAsync("ab||c\na|b||\"x||y\"\n|||z\n", """ "Delimiter": "||" """);

        Assert.Equal(new[] { "ab", "c" }, records[0].Names);
        Assert.Equal("""{"ab":"a|b","c":"x||y"}""", records[0].ToString());
        // Leftmost match: "|||z" is "" then "|z".
        Assert.Equal("""{"ab":null,"c":"|z"}""", records[1].ToString());
    }

    [Fact]
    public async Task Plan_DelimiterWithAQuoteOrALineBreak_IsAConfigurationErrorAtDelimiter()
    {
        foreach (var delimiter in new[] { "\\\"", "\\n", "" })
        {
            using var temp = new TempDirectory();
            var path = temp.File("data.csv");
            await File.WriteAllTextAsync(path, "a\n1\n");

            var errors = await _harness.ConfigurationErrorsAsync(Pipeline($$"""{ "Path": {{TestData.Quote(path)}}, "Delimiter": "{{delimiter}}" }"""));

            Assert.Equal("Flow:Pipelines:p:Sources:0:Params:Delimiter", Assert.Single(errors).Path);
        }
    }

    [Fact]
    public async Task ReadAsync_TabWrittenAsBackslashT_SplitsOnTabs()
    {
        var records = await ReadTextAsync("a\tb\n1\tx y\n", """ "Delimiter": "\\t" """);

        Assert.Equal("""{"a":1,"b":"x y"}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_QuotedFieldEndingInCarriageReturn_KeepsTheCarriageReturn()
    {
        var records = await ReadTextAsync("a,b\n1,\"x\r\"\n2,\"\r\"\r\n\"y\r\",3\n");

        Assert.Equal(new object?[] { "x\r", "\r", "3" }, records.Select(r => r["b"]));
        Assert.Equal("y\r", records[2]["a"]);
    }

    [Fact]
    public async Task ReadAsync_OneColumnFileWithEmptyLines_GivesNullRecordsForThem()
    {
        var records = await ReadTextAsync("code\nA1\n\nB2\n\n\nC3\n");

        Assert.Equal(new object?[] { "A1", null, "B2", null, null, "C3" }, records.Select(r => r["code"]));
        Assert.All(records, r => Assert.Equal(new[] { "code" }, r.Names));
    }

    [Fact]
    public async Task ReadAsync_SeveralColumnsWithBlankLinesAndAFinalNewline_SkipsTheBlankLines()
    {
        var records = await ReadTextAsync("\na,b\n1,2\n\n3,4\r\n\r\n5,6\n\n");

        Assert.Equal(new[] { """{"a":1,"b":2}""", """{"a":3,"b":4}""", """{"a":5,"b":6}""" }, records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task ReadAsync_ShortRow_FailsWithFileLineAndTheHeader()
    {
        var error = await FailAsync("data.csv", "a,b,c\n1,2,3\n4,5\n");

        Assert.Contains("data.csv:3: row has 2 cells but the header has 3 columns (a, b, c)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_LongRow_FailsWithFileLineAndTheHeader()
    {
        var error = await FailAsync("data.csv", "a,b,c\n1,2,3\n4,5,6,7\n");

        Assert.Contains("data.csv:3: row has 4 cells but the header has 3 columns (a, b, c)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RaggedRowsAllow_GivesNullsForMissingCellsAndKeepsExtraCells()
    {
        var records = await ReadTextAsync("a,b,c\n1,2\n3,4,5,6,7\n", """ "RaggedRows": "Allow" """);

        Assert.Equal("""{"a":1,"b":2,"c":null}""", records[0].ToString());
        Assert.Equal("""{"a":3,"b":4,"c":5,"column4":6,"column5":7}""", records[1].ToString());
    }

    [Fact]
    public async Task ReadAsync_EmptyHeaderName_FailsNamingTheColumn()
    {
        var error = await FailAsync("data.csv", "a, ,c\n1,2,3\n");

        Assert.Contains("data.csv:1: column 2 of the header has no name", error, StringComparison.Ordinal);
        Assert.Contains("Header: false", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Birdstrikes_ReadsMessyHeadersAsTheyAre()
    {
        var records = await ReadAsync("""{ "Path": "samples/data/birdstrikes.csv" }""");

        Assert.Equal(10_000, records.Count);
        Assert.Equal(
            new[]
            {
                "Airport Name", "Aircraft Make Model", "Effect Amount of damage", "Flight Date", "Aircraft Airline Operator",
                "Origin State", "Phase of flight", "Wildlife Size", "Wildlife Species", "Time of day", "Cost Other",
                "Cost Repair", "Cost Total $", "Speed IAS in knots",
            },
            records[0].Names);
        Assert.Equal("BARKSDALE AIR FORCE BASE ARPT", records[0]["Airport Name"]);
        Assert.Equal("1990-01-08", records[0]["Flight Date"]);
        Assert.Equal(300L, records[0]["Speed IAS in knots"]);
        Assert.All(records, r => Assert.IsType<long>(r["Cost Total $"]));
        Assert.Equal(2836, records.Count(r => r["Speed IAS in knots"] is null));
    }

    [Fact]
    public async Task ReadAsync_ByteOrderMark_IsNotPartOfTheFirstName()
    {
        using var temp = new TempDirectory();
        var path = temp.File("bom.csv");
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, .. "id,name\n1,x\n"u8]);

        var records = await ReadAsync($$"""{ "Path": {{TestData.Quote(path)}} }""");

        Assert.Equal("""{"id":1,"name":"x"}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task ReadAsync_CrlfFile_GivesTheSameRecordsAsTheLfFile()
    {
        const string Lf = "a,b\n1,\"two\nlines\"\n3,x\n";

        var lf = await ReadTextAsync(Lf);
        var crlf = await ReadTextAsync("a,b\r\n1,\"two\nlines\"\r\n3,x\r\n");

        Assert.Equal(lf.Select(r => r.ToString()), crlf.Select(r => r.ToString()));
        Assert.Equal("two\nlines", crlf[0]["b"]);
    }

    [Fact]
    public async Task ReadAsync_RaggedRowAfterQuotedLineBreaks_ReportsItsPhysicalLine()
    {
        var error = await FailAsync("data.csv", "a,b\n\"one\ntwo\r\nthree\",1\n2,3\n4,5,6\n");

        Assert.Contains("data.csv:6: row has 3 cells but the header has 2 columns (a, b)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_UnclosedQuote_FailsAtTheLineWhereTheFieldStarted()
    {
        var error = await FailAsync("data.csv", "a,b\n1,2\n\"x\ny\",\"open\n3,4\n5,6\n");

        Assert.Contains("data.csv:4: the quoted field in column 2 (b) is not closed before the end of the file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_TextAfterAClosingQuote_FailsRatherThanJoiningIt()
    {
        var error = await FailAsync("data.csv", "a,b\n1,\"ab\"c\n");

        Assert.Contains("data.csv:2: column 2 (b) has text after its closing quote", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_QuoteInsideAnUnquotedCell_IsText()
    {
        var records = await ReadTextAsync("name,height\nAnn,5'10\"\n");

        Assert.Equal("5'10\"", Assert.Single(records)["height"]);
    }

    [Fact]
    public async Task ReadAsync_EmptyFileAndHeaderOnlyFile_GiveNoRecords()
    {
        Assert.Empty(await ReadTextAsync(""));
        Assert.Empty(await ReadTextAsync("a,b,c\n"));
        Assert.Empty(await ReadTextAsync("a,b,c"));
    }

    [Fact]
    public async Task ReadAsync_LastRowWithoutFinalNewline_IsARow()
    {
        var records = await ReadTextAsync("a,b\n1,2\n3,4");

        Assert.Equal(new object?[] { 1L, 3L }, records.Select(r => r["a"]));
    }

    [Fact]
    public async Task ReadAsync_ErrorInTheSecondFileOfAGlob_NamesThatFile()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("a.csv"), "x,y\n1,2\n");
        await File.WriteAllTextAsync(temp.File("b.csv"), "x,y\n3,4\n5\n");

        var result = await _harness.RunAsync(Pipeline($$"""{ "Path": {{TestData.Quote(temp.File("*.csv"))}} }"""));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("b.csv:3: row has 1 cell but the header has 2 columns (x, y)", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_UnknownDuplicateHeadersOrRaggedRows_AreConfigurationErrorsNamingTheValues()
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.csv");
        await File.WriteAllTextAsync(path, "a\n1\n");

        var duplicates = Assert.Single(await _harness.ConfigurationErrorsAsync(Pipeline($$"""{ "Path": {{TestData.Quote(path)}}, "DuplicateHeaders": "Keep" }""")));
        var ragged = Assert.Single(await _harness.ConfigurationErrorsAsync(Pipeline($$"""{ "Path": {{TestData.Quote(path)}}, "RaggedRows": "1" }""")));

        Assert.Equal("Flow:Pipelines:p:Sources:0:Params:DuplicateHeaders", duplicates.Path);
        Assert.Contains("'Keep' is not Error or Rename", duplicates.Message, StringComparison.Ordinal);
        Assert.Equal("Flow:Pipelines:p:Sources:0:Params:RaggedRows", ragged.Path);
        Assert.Contains("'1' is not Error or Allow", ragged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_UnknownTextColumn_FailsNamingTheFileAndTheColumn()
    {
        var error = await FailAsync("data.csv", "a,b\n1,2\n", """ "TextColumns": [ "a", "c" ] """);

        Assert.Contains("data.csv:1: TextColumns names 'c', which is not a column of this file (a, b)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NumbersWithExponents_BecomeDoubles()
    {
        var records = await ReadTextAsync("x,y,z\n1e5,1.5e3,-0.5\n2E-2,0,7\n");

        Assert.Equal(100000.0, Assert.IsType<double>(records[0]["x"]));
        Assert.Equal(1500.0, Assert.IsType<double>(records[0]["y"]));
        Assert.Equal(-0.5, Assert.IsType<double>(records[0]["z"]));
        Assert.Equal(0.02, Assert.IsType<double>(records[1]["x"]));
        Assert.Equal(0L, Assert.IsType<long>(records[1]["y"]));
        Assert.Equal(7L, Assert.IsType<long>(records[1]["z"]));
    }

    [Fact]
    public async Task ReadAsync_ColumnWithOneNonNumber_StaysTextInEveryRow()
    {
        var records = await ReadTextAsync("code,n\n1,1\n2,2\nA3,3\n007,4\n,5\n");

        Assert.Equal(new object?[] { "1", "2", "A3", "007", null }, records.Select(r => r["code"]));
        Assert.Equal(new object?[] { 1L, 2L, 3L, 4L, 5L }, records.Select(r => r["n"]));
    }

    [Fact]
    public async Task ReadAsync_NumbersThatDoNotFit_KeepTheirColumnsAsText()
    {
        var records = await ReadTextAsync("big,huge,tiny,ok\n12345678901234567890,1e400,1e-400,1.5\n1,2,3,4\n");

        Assert.Equal(new object?[] { "12345678901234567890", "1" }, records.Select(r => r["big"]));
        Assert.Equal(new object?[] { "1e400", "2" }, records.Select(r => r["huge"]));
        Assert.Equal(new object?[] { "1e-400", "3" }, records.Select(r => r["tiny"]));
        Assert.Equal(new object?[] { 1.5, 4L }, records.Select(r => r["ok"]));
    }

    [Fact]
    public async Task ReadAsync_BooleanColumns_AnyCaseAndOnlyWhenEveryCellIsOne()
    {
        var records = await ReadTextAsync("flag,mixed\ntrue,true\nFALSE,1\nTrue,\n,false\n");

        Assert.Equal(new object?[] { true, false, true, null }, records.Select(r => r["flag"]));
        Assert.Equal(new object?[] { "true", "1", null, "false" }, records.Select(r => r["mixed"]));
    }

    [Fact]
    public async Task ReadAsync_TextColumns_KeepsThoseColumnsAsText()
    {
        var records = await ReadTextAsync("zip,n\n12345,1\n,2\n", """ "TextColumns": [ "zip" ] """);

        Assert.Equal(new object?[] { "12345", null }, records.Select(r => r["zip"]));
        Assert.Equal(new object?[] { 1L, 2L }, records.Select(r => r["n"]));
    }

    [Fact]
    public async Task ReadAsync_GlobWhereOneFileHasTextInAColumn_GivesThatColumnOneTypeAcrossFiles()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("a.csv"), "code,n\n1,1\n2,2\n");
        await File.WriteAllTextAsync(temp.File("b.csv"), "n,code\n3,X9\n");

        var records = await ReadAsync($$"""{ "Path": {{TestData.Quote(temp.File("*.csv"))}} }""");

        Assert.Equal(new object?[] { "1", "2", "X9" }, records.Select(r => r["code"]));
        Assert.Equal(new object?[] { 1L, 2L, 3L }, records.Select(r => r["n"]));
    }

    private static string Pipeline(string parameters) => $$"""
        {
          "BatchSize": 1000,
          "Sources": [ { "Name": "s", "Type": "Csv", "Params": {{parameters}} } ],
          "Sinks": [ { "Name": "out", "Type": "Collect" } ]
        }
        """;

    /// <summary>Reads <paramref name="text"/> written to a file, with more parameters (JSON members) after its Path.</summary>
    private async Task<IReadOnlyList<Record>> ReadTextAsync(string text, string parameters = "")
    {
        using var temp = new TempDirectory();
        var path = temp.File("data.csv");
        await File.WriteAllTextAsync(path, text);
        return await ReadAsync($$"""{ "Path": {{TestData.Quote(path)}}{{(parameters.Length == 0 ? "" : ", " + parameters)}} }""");
    }

    /// <summary>Reads <paramref name="text"/> written to a file named <paramref name="name"/>, expecting the run to fail; returns the error.</summary>
    private async Task<string> FailAsync(string name, string text, string parameters = "")
    {
        using var temp = new TempDirectory();
        var path = temp.File(name);
        await File.WriteAllTextAsync(path, text);
        var result = await _harness.RunAsync(Pipeline($$"""{ "Path": {{TestData.Quote(path)}}{{(parameters.Length == 0 ? "" : ", " + parameters)}} }"""));
        Assert.Equal(RunStatus.Failed, result.Status);
        return result.Error!.Message;
    }

    private async Task<IReadOnlyList<Record>> ReadAsync(string parameters)
    {
        var result = await _harness.RunAsync(Pipeline(parameters));
        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        return _harness.Collected().Records;
    }
}
