using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flow.Worker.Tests.Status;

/// <summary>The status page in a real browser (headless Chromium): it loads, draws every node, and its counts move during a run.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class StatusPageBrowserTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Every node group the page drew, with the counts it shows (its data-* attributes; empty until the first refresh).
    private const string ReadNodes = """
        JSON.stringify(Array.from(document.querySelectorAll("g[data-node]")).map(function (g) {
          return { name: g.getAttribute("data-node"), kind: g.getAttribute("data-kind"),
                   recordsIn: g.getAttribute("data-records-in"), recordsOut: g.getAttribute("data-records-out"),
                   text: g.textContent };
        }))
        """;

    [Fact]
    public async Task StatusPage_InHeadlessChromium_ShowsEveryNodeAndItsCountsMoveDuringTheRun()
    {
        Assert.True(HeadlessChromium.Find() is not null, HeadlessChromium.InstallHint);

        // 40 batches at 250 ms: about ten seconds, time for the browser to start and read twice.
        await using var run = StatusRun.Start("250ms");
        await run.WaitForAsync("readyz", HttpStatusCode.OK, Patience);
        await using var browser = await HeadlessChromium.StartAsync(Patience);
        await browser.NavigateAsync(run.BaseAddress);

        var first = await ReadUntilAsync(run, browser, nodes => nodes.Count == StatusRun.Nodes.Length && nodes.All(n => n.RecordsIn is not null), "the page to draw every node with its counts");
        Assert.Equal(StatusRun.Nodes, first.Select(n => n.Name));
        Assert.Equal(["source", "step", "step", "sink"], first.Select(n => n.Kind));
        Assert.All(first, n => Assert.Contains(n.Name, n.Text, StringComparison.Ordinal));
        Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('path.edge').length"))!);

        var before = first.Single(n => n.Name == "slow").RecordsIn!.Value;
        var later = await ReadUntilAsync(run, browser, nodes => nodes.Single(n => n.Name == "slow").RecordsIn > before, $"the records in of 'slow' to move past {before} on the page");
        var shown = later.Single(n => n.Name == "slow");
        Assert.Contains("in " + shown.RecordsIn!.Value.ToString("N0", CultureInfo.InvariantCulture), shown.Text, StringComparison.Ordinal); // the number drawn is the count read

        var exitCode = await run.Flow.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, run.Flow.StandardError);
    }

    private static async Task<List<PageNode>> ReadUntilAsync(StatusRun run, HeadlessChromium browser, Func<List<PageNode>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        List<PageNode> nodes = [];
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(run.Flow.HasExited, $"flow ended before {what}; the page showed {JsonSerializer.Serialize(nodes)}; stderr:{Environment.NewLine}{run.Flow.StandardError}");
            var json = (string?)await browser.EvaluateAsync(ReadNodes) ?? "[]";
            nodes = JsonNode.Parse(json)!.AsArray().Select(n => new PageNode(
                (string)n!["name"]!,
                (string?)n["kind"],
                long.TryParse((string?)n["recordsIn"], out var recordsIn) ? recordsIn : null,
                (string?)n["text"] ?? string.Empty)).ToList();
            if (nodes.Count > 0 && condition(nodes))
            {
                return nodes;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"waited {Patience} for {what}; the page showed {JsonSerializer.Serialize(nodes)}; chromium:{Environment.NewLine}{browser.StandardError}");
    }

    private sealed record PageNode(string Name, string? Kind, long? RecordsIn, string Text);
}
