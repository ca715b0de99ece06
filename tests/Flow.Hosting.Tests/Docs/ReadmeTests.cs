namespace Flow.Hosting.Tests.Docs;

/// <summary>The README's C# example is the sample CI builds, so it cannot stop compiling unnoticed.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public async Task CSharpExample_IsTheSamplesProgram_Exactly()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "README.md"));
        var sample = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "samples", "CSharpPipeline", "Program.cs"));
        var section = readme.IndexOf("## A pipeline in C#", StringComparison.Ordinal);
        Assert.True(section >= 0, "the README has no section 'A pipeline in C#'");
        var start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        var end = readme.IndexOf("```\n", start, StringComparison.Ordinal);

        Assert.Equal(sample, readme[start..end]);
    }
}

/// <summary>The README's metrics table is the <c>Flow</c> meter's instruments, no more and no fewer.</summary>
public sealed class ReadmeMetricsTests
{
    [Fact]
    public async Task MetricsTable_ListsEveryInstrumentOfTheFlowMeter_WithItsPrometheusName()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "README.md"));
        var names = typeof(Flow.Execution.FlowMetrics)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Name", StringComparison.Ordinal) && f.Name != nameof(Flow.Execution.FlowMetrics.MeterName))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        var rows = readme.Split('\n').Where(l => l.StartsWith("| `flow.", StringComparison.Ordinal)).ToList();

        Assert.Equal(names.Order(), rows.Select(r => r.Split('`')[1]).Order());
        foreach (var row in rows)
        {
            var name = row.Split('`')[1];
            var prometheus = row.Split('`')[3];
            var expected = name.Replace('.', '_') + (row.Contains("| counter |", StringComparison.Ordinal) ? "_total" : row.Contains("| histogram |", StringComparison.Ordinal) ? "_seconds" : string.Empty);
            Assert.Equal(expected, prometheus);
        }
    }
}
