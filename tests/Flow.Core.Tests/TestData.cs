using System.Text.Json;

namespace Flow.Tests;

/// <summary>
/// The repository's sample data, found by walking up from the test binaries to the folder that
/// holds Flow.sln, and the facts about it that tests compute independently of Flow.
/// Shared (linked) by every test project.
/// </summary>
internal static class TestData
{
    public const int FlightCount = 20_000;

    public const int AirportCount = 3_376;

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The folder holding Flow.sln.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>samples/data/flights-20k.json: a JSON array of 20,000 flights.</summary>
    public static string FlightsJson => Path.Combine(RepoRoot, "samples", "data", "flights-20k.json");

    /// <summary>samples/data/airports.csv: 3,376 airports under a header row.</summary>
    public static string AirportsCsv => Path.Combine(RepoRoot, "samples", "data", "airports.csv");

    /// <summary>The flights as parsed by System.Text.Json (not by Flow), for computing expectations.</summary>
    public static IReadOnlyList<JsonElement> Flights()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(FlightsJson));
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Each flight's compact JSON text, as it appears in the file (the file is compact).</summary>
    public static IReadOnlyList<string> FlightLines(Func<JsonElement, bool>? where = null) =>
        Flights().Where(f => where is null || where(f)).Select(f => f.GetRawText()).ToList();

    /// <summary>A string as a JSON string literal, for putting paths into configuration text.</summary>
    public static string Quote(string value) => JsonSerializer.Serialize(value);

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Flow.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Flow.sln");
    }
}
