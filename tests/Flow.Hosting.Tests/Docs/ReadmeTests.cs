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
