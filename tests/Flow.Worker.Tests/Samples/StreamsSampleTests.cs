using System.Text.Json;
using Flow.Redis.Tests;
using StackExchange.Redis;

namespace Flow.Worker.Tests.Samples;

/// <summary>samples/Streams on a private redis-server: the producer fills the stream, two workers split it, each flight reaches the sink stream once.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class StreamsSampleTests
{
    private const int Flights = TestData.FlightCount;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Producer_ThenTwoWorkers_SplitTheStream_AndEveryFlightIsScoredOnce()
    {
        var readme = SampleReadme.Of("Streams");
        var commands = readme.FlowCommands();
        Assert.Equal(3, commands.Count);
        await using var server = await RedisServerFixture.StartPrivateServerAsync();
        var redis = $"--Flow:Cache:Redis={server.Configuration}";  // the README's server is 127.0.0.1:6379
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "Streams");

        await using (var producer = await FlowProcess.RunAsync(workspace.Path, Timeout, [.. commands[0], redis]))
        {
            Assert.True(producer.ExitCode == 0, producer.StandardError);
        }

        using var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = connection.GetDatabase();
        Assert.Equal(Flights, await db.StreamLengthAsync("flights"));

        await using var one = FlowProcess.Start(workspace.Path, [.. commands[1], redis, "--report", "one.json"]);
        await using var two = FlowProcess.Start(workspace.Path, [.. commands[2], redis, "--report", "two.json"]);
        Assert.True(await one.WaitForExitAsync(Timeout) == 0, one.StandardError);
        Assert.True(await two.WaitForExitAsync(Timeout) == 0, two.StandardError);

        var shares = new[] { "one.json", "two.json" }.Select(r => Read(workspace, r)).ToList();
        Assert.All(shares, share => Assert.True(share > 0, "each worker takes part"));
        Assert.Equal(Flights, shares.Sum());
        var scored = await db.StreamRangeAsync("flights:scored", "-", "+");
        Assert.Equal(Flights, scored.Length);
        var shown = readme.OutputLines().Single(l => l.StartsWith('{'));
        // The first flight's entry, wherever it landed: two workers add to the stream side by side.
        Assert.Contains(shown, scored.Select(e => (string)e["data"]!));
        // Each flight once: the 20,000 scored entries are the 20,000 flights, as a multiset.
        var expected = TestData.Flights().Select(f => f.GetRawText()).Order(StringComparer.Ordinal).ToList();
        var actual = scored.Select(e => Unscored((string)e["data"]!)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    }

    private static long Read(FlowWorkspace workspace, string report)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(workspace.File(report)));
        return document.RootElement.GetProperty("pipelines").GetProperty("score").GetProperty("nodes").GetProperty("flights").GetProperty("recordsOut").GetInt64();
    }

    // The scored entry without the two fields the workers add, in the source's own text.
    private static string Unscored(string json)
    {
        using var document = JsonDocument.Parse(json);
        var kept = document.RootElement.EnumerateObject().Where(p => p.Name is not ("late" or "score")).Select(p => $"{JsonSerializer.Serialize(p.Name)}:{p.Value.GetRawText()}");
        return "{" + string.Join(",", kept) + "}";
    }
}
