using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Flow.Redis.Tests;

namespace Flow.Worker.Tests.Samples;

/// <summary>
/// samples/HttpEnrichment with its own service, on a free port: the first run makes one call a late
/// flight, the second none, and a run killed half-way repeats only the calls of batches it had not
/// finished, counted by the service.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class HttpEnrichmentSampleTests
{
    private const int LateFlights = 1089;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task FirstRunCallsOncePerRecord_SecondRunCallsNothing_AKilledRunResumesWithoutRepeatingFinishedCalls()
    {
        var readme = SampleReadme.Of("HttpEnrichment");
        var service = readme.Commands().Single(c => c.Contains("samples/HttpEnrichment/AirportService"));
        Assert.Equal(["dotnet", "run", "--project", "samples/HttpEnrichment/AirportService", "--", "--urls", "http://127.0.0.1:5077"], service);
        var port = RedisServerFixture.FreeLoopbackPort();
        var clear = readme.FlowCommands().Single(c => c[0] == "cache");
        string[] run = [.. readme.FlowCommands().Single(c => c[0] == "--config"), $"--Flow:Pipelines:enrich-destinations:Steps:1:Params:Url=http://127.0.0.1:{port}/airports/{{destination}}"];
        using var workspace = new FlowWorkspace();
        SampleReadme.CopySample(workspace, "HttpEnrichment");
        using var server = StartService(workspace, port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await WaitForServiceAsync(http);

        await RunAsync(workspace, run);
        Assert.Equal(LateFlights, await CallsAsync(http));
        Assert.Equal(LateFlights, FlowWorkspace.LineCount(workspace.File("out/enriched-flights.jsonl")));
        Assert.Equal(readme.OutputLines().Where(l => l.StartsWith('{')), File.ReadLines(workspace.File("out/enriched-flights.jsonl")).Take(1));
        var first = await File.ReadAllBytesAsync(workspace.File("out/enriched-flights.jsonl"));

        await RunAsync(workspace, run);
        Assert.Equal(LateFlights, await CallsAsync(http));
        Assert.Equal(first, await File.ReadAllBytesAsync(workspace.File("out/enriched-flights.jsonl")));

        // Killed half-way through a cold run, then resumed.
        await RunAsync(workspace, clear);
        var before = await CallsAsync(http);
        await using (var killed = FlowProcess.Start(workspace.Path, run))
        {
            var waited = Stopwatch.StartNew();
            while (await CallsAsync(http) - before < LateFlights / 2 && waited.Elapsed < Timeout && !killed.HasExited)
            {
                await Task.Delay(50);
            }

            killed.Signal(FlowProcess.SigKill);
            await killed.WaitForExitAsync(Timeout);
        }

        await Task.Delay(300); // calls the killed process had sent finish on the service
        var beforeKill = await CallsAsync(http) - before;
        Assert.InRange(beforeKill, LateFlights / 2, LateFlights - 1);
        await RunAsync(workspace, [.. run, "--report", "resumed.json"]);
        var resumed = await CallsAsync(http) - before - beforeKill;

        Assert.Equal(first, await File.ReadAllBytesAsync(workspace.File("out/enriched-flights.jsonl")));
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(workspace.File("resumed.json")));
        var destination = report.RootElement.GetProperty("pipelines").GetProperty("enrich-destinations").GetProperty("nodes").GetProperty("destination");
        Assert.True(destination.GetProperty("hits").GetInt64() > 0, "the resumed run replayed nothing");
        // Only the calls of batches that had not finished (been cached) are made again: a few
        // batches in flight, or whose entries were still being written, at about five records each.
        var repeated = beforeKill + resumed - LateFlights;
        Assert.InRange(repeated, 0, 200);
        Assert.True(resumed < LateFlights - (LateFlights / 2) + 200, $"resumed run made {resumed} calls");
    }

    private static ServiceProcess StartService(FlowWorkspace workspace, int port)
    {
        // The service as CI built it, next to its project (the configuration of this test build).
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(TestData.RepoRoot, "samples", "HttpEnrichment", "AirportService", "bin", configuration, "net10.0", "AirportService.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built: build the solution first");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workspace.Path, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process);
    }

    private static async Task WaitForServiceAsync(HttpClient http)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await CallsAsync(http);
                return;
            }
            catch (HttpRequestException) when (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<int> CallsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/stats")).GetProperty("calls").GetInt32();

    private static async Task RunAsync(FlowWorkspace workspace, string[] args)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, flow.StandardError);
    }

    /// <summary>The sample's service, killed by its process id when the test ends.</summary>
    private sealed class ServiceProcess(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }

            process.Dispose();
        }
    }
}
