using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Flow.Worker.Tests;

/// <summary>
/// Every sink of a run is published together: a run that cannot publish one output keeps every
/// previous output, and a process killed between two renames has its publish finished by the next run.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class OutputPublishTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    public OutputPublishTests(ITestOutputHelper output) => _output = output;

    /// <summary>Generated records (optionally slowed per batch), a computed field, a JsonLines sink in <c>a/</c> and a Csv sink in <c>b/</c>.</summary>
    private static string TwoSinks(string? perBatch = null, int count = 200) => $$"""
        {
          "BatchSize": 20,
          "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": {{count}}, "Seed": 1 } } ],
          "Steps": [
            {{(perBatch is null ? string.Empty : $$"""{ "Name": "slow", "Type": "Sleep", "Params": { "PerBatch": "{{perBatch}}" } },""")}}
            { "Name": "twice", "Type": "Compute", "Params": { "Set": { "twice": "value * 2" } } }
          ],
          "Sinks": [
            { "Name": "j", "Type": "JsonLines", "Params": { "Path": "a/out.jsonl" } },
            { "Name": "c", "Type": "Csv", "Params": { "Path": "b/out.csv" } }
          ]
        }
        """;

    private const string OtherSeed = "--Flow:Pipelines:p:Sources:0:Params:Seed=2";

    [Fact]
    public async Task Run_SecondSinkCannotCreateItsFile_FailsAndKeepsBothPreviousOutputs()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(TwoSinks());
        var (jsonLines, csv) = (workspace.File("a/out.jsonl"), workspace.File("b/out.csv"));
        await RunToSuccessAsync(workspace, "run", "--config", config);
        var (previousJsonLines, previousCsv) = (await File.ReadAllBytesAsync(jsonLines), await File.ReadAllBytesAsync(csv));

        // The Csv sink's folder, holding the previous file, takes no new file (mode 0555, or chattr +i as root).
        int exitCode;
        string stderr;
        using (SealedFolder.Seal(workspace.File("b")))
        {
            await using var second = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config, OtherSeed);
            (exitCode, stderr) = (second.ExitCode, second.StandardError);
        }

        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr:{Environment.NewLine}{stderr}");
        Assert.Contains("node 'c'", stderr, StringComparison.Ordinal);
        Assert.Equal(previousJsonLines, await File.ReadAllBytesAsync(jsonLines));
        Assert.Equal(previousCsv, await File.ReadAllBytesAsync(csv));
    }

    [Fact]
    public async Task Run_SecondSinkCannotRenameItsFileIntoPlace_FailsAndKeepsBothPreviousOutputs()
    {
        using var workspace = new FlowWorkspace();
        // Ten batches at 100 ms: the Csv sink has made b/out.csv.partial about a second before it publishes.
        var config = workspace.WritePipeline(TwoSinks(perBatch: "00:00:00.1"));
        var (jsonLines, csv) = (workspace.File("a/out.jsonl"), workspace.File("b/out.csv"));
        await RunToSuccessAsync(workspace, "run", "--config", config);
        var (previousJsonLines, previousCsv) = (await File.ReadAllBytesAsync(jsonLines), await File.ReadAllBytesAsync(csv));

        int exitCode;
        string stderr;
        await using (var second = FlowProcess.Start(workspace.Path, "run", "--config", config, OtherSeed))
        {
            await second.WaitUntilAsync(() => File.Exists(csv + ".partial"), Timeout);
            // Sealed once its partial file is open: every write still lands, but the rename onto b/out.csv fails.
            using (SealedFolder.Seal(workspace.File("b")))
            {
                exitCode = await second.WaitForExitAsync(Timeout);
                stderr = second.StandardError;
            }
        }

        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr:{Environment.NewLine}{stderr}");
        // Found before any rename: the sink checks at flush that its folder still takes the rename.
        Assert.Contains("sink 'c' could not flush its output", stderr, StringComparison.Ordinal);
        Assert.Contains("no output of this run was published", stderr, StringComparison.Ordinal);
        Assert.Equal(previousCsv, await File.ReadAllBytesAsync(csv));
        var jsonLinesNow = await File.ReadAllBytesAsync(jsonLines);
        Assert.True(previousJsonLines.AsSpan().SequenceEqual(jsonLinesNow), "the JsonLines output was replaced although the run failed to publish the Csv one");
    }

    [Fact]
    public async Task Run_AfterAProcessKilledBetweenTwoRenames_FinishesThatPublishFirstAndRunsNormally()
    {
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(TwoSinks());
        var (a, b) = (workspace.File("a/out.jsonl"), workspace.File("b/out.csv"));
        // What a kill between the two renames leaves: A renamed already, B's new version still in B.partial.
        workspace.WriteFile("a/out.jsonl", "new A\n");
        workspace.WriteFile("b/out.csv", "old B\n");
        workspace.WriteFile("b/out.csv.partial", "new B\n");
        workspace.WriteFile(Path.Combine(".flow", "publish", "pipeline.p.json"), JsonSerializer.Serialize(new[]
        {
            new { From = a + ".partial", To = a },
            new { From = b + ".partial", To = b },
        }));
        Assert.True(File.Exists(workspace.PublishJournal()));

        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, "run", "--config", config);

        Assert.True(flow.ExitCode == 0, flow.StandardError);
        var warning = Assert.Single(flow.StandardError.Split('\n').Select(l => l.TrimEnd('\r')), l => l.Contains("was killed while publishing", StringComparison.Ordinal));
        Assert.Contains(" WRN] ", warning, StringComparison.Ordinal);
        Assert.EndsWith($"Pipeline p: the previous run was killed while publishing its outputs; finished publishing them: {b}", warning, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.PublishJournal()), "the journal must be gone");

        // And the run itself published as an undisturbed one does.
        using var reference = new FlowWorkspace();
        var referenceConfig = reference.WritePipeline(TwoSinks());
        await RunToSuccessAsync(reference, "run", "--config", referenceConfig);
        Assert.Equal(await File.ReadAllBytesAsync(reference.File("a/out.jsonl")), await File.ReadAllBytesAsync(a));
        Assert.Equal(await File.ReadAllBytesAsync(reference.File("b/out.csv")), await File.ReadAllBytesAsync(b));
        Assert.False(File.Exists(b + ".partial"));
    }

    [Fact]
    public async Task Run_KilledAtRandomMomentsThenRunAgain_EndsWithTheReferenceOutputsAndNoJournal()
    {
        const int trials = 20;
        using var workspace = new FlowWorkspace();
        var config = workspace.WritePipeline(TwoSinks(count: 2000));
        var (a, b) = (workspace.File("a/out.jsonl"), workspace.File("b/out.csv"));

        // Two uncached references (seeds 1 and 2); trials alternate between them, so a run's outputs
        // differ from the previous run's and a half-published set can be seen.
        var references = new Dictionary<int, (byte[] A, byte[] B)>();
        var referenceTime = TimeSpan.Zero;
        foreach (var seed in new[] { 1, 2 })
        {
            var clock = Stopwatch.StartNew();
            await RunToSuccessAsync(workspace, "run", "--config", config, "--use-cache=false", "--Flow:Cache:Store=Memory",
                $"--Flow:Pipelines:p:Sources:0:Params:Seed={seed}",
                $"--Flow:Pipelines:p:Sinks:0:Params:Path=ref{seed}/a.jsonl", $"--Flow:Pipelines:p:Sinks:1:Params:Path=ref{seed}/b.csv");
            referenceTime = clock.Elapsed > referenceTime ? clock.Elapsed : referenceTime;
            references[seed] = (await File.ReadAllBytesAsync(workspace.File($"ref{seed}/a.jsonl")), await File.ReadAllBytesAsync(workspace.File($"ref{seed}/b.csv")));
        }

        Assert.NotEqual(references[1].A, references[2].A);
        var random = new Random(20_240_601);
        (byte[] A, byte[] B)? previous = null;
        var mixed = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            var seed = 1 + (trial % 2);
            string[] args = ["run", "--config", config, $"--Flow:Pipelines:p:Sources:0:Params:Seed={seed}"];
            // A quarter of the kills at a random moment from start-up to just past the end of an
            // uninterrupted run; the others as soon as the publish journal's temporary file, the journal
            // itself, or the new A appears: the moments a kill can fall between two renames.
            var journal = workspace.PublishJournal();
            var previousStamp = File.Exists(a) ? File.GetLastWriteTimeUtc(a) : (DateTime?)null;
            var (moment, watch) = ((trial / 2) % 4) switch
            {
                1 => ("when the journal's temporary file appeared", () => File.Exists(journal + ".tmp")),
                2 => ("when the journal appeared", () => File.Exists(journal)),
                3 => ("when A was replaced", () => File.Exists(a) && File.GetLastWriteTimeUtc(a) != previousStamp),
                _ => ((string, Func<bool>?))(string.Empty, null),
            };
            var delay = referenceTime * (0.3 + (0.8 * random.NextDouble()));
            moment = watch is null ? $"after {delay.TotalMilliseconds:F0} ms" : moment;
            await using (var killed = FlowProcess.Start(workspace.Path, args))
            {
                if (watch is not null)
                {
                    await Task.Factory.StartNew(
                        () =>
                        {
                            var deadline = DateTime.UtcNow + Timeout;
                            while (!watch() && !killed.HasExited && DateTime.UtcNow < deadline)
                            {
                                Thread.SpinWait(50);
                            }
                        },
                        CancellationToken.None,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default).WaitAsync(Timeout);
                }
                else
                {
                    await Task.Delay(delay);
                }

                if (!killed.HasExited)
                {
                    killed.Signal(FlowProcess.SigKill);
                }

                await killed.WaitForExitAsync(Timeout);
            }

            // Right after the kill: the previous set, the new set, or (only with a journal) a new A beside the previous B.
            var afterKill = (A: ReadOrNull(a), B: ReadOrNull(b));
            var journalLeft = File.Exists(journal);
            var state = Describe(afterKill.A, afterKill.B, previous, references[seed]);
            _output.WriteLine($"trial {trial}: seed {seed}, killed {moment}: {state}{(journalLeft ? ", journal left" : string.Empty)}");
            Assert.True(state is "previous" or "new" or "new A, previous B", $"trial {trial}: outputs after the kill are {state}");
            if (state == "new A, previous B")
            {
                mixed++;
                Assert.True(journalLeft, $"trial {trial}: a half-published set without a journal");
            }

            await RunToSuccessAsync(workspace, args);
            Assert.Equal(references[seed].A, await File.ReadAllBytesAsync(a));
            Assert.Equal(references[seed].B, await File.ReadAllBytesAsync(b));
            Assert.False(File.Exists(workspace.PublishJournal()), $"trial {trial}: the journal remains after a completed run");
            previous = references[seed];
        }

        _output.WriteLine($"{mixed} of {trials} kills fell between the two renames");
    }

    private static async Task RunToSuccessAsync(FlowWorkspace workspace, params string[] args)
    {
        await using var flow = await FlowProcess.RunAsync(workspace.Path, Timeout, args);
        Assert.True(flow.ExitCode == 0, $"flow {string.Join(' ', args)} exited {flow.ExitCode}: {flow.StandardError}");
    }

    private static byte[]? ReadOrNull(string path) => File.Exists(path) ? File.ReadAllBytes(path) : null;

    private static string Describe(byte[]? a, byte[]? b, (byte[] A, byte[] B)? previous, (byte[] A, byte[] B) current)
    {
        string Which(byte[]? actual, byte[]? before, byte[] now) =>
            actual is null ? (before is null ? "previous" : "missing")
            : actual.AsSpan().SequenceEqual(now) ? "new"
            : before is not null && actual.AsSpan().SequenceEqual(before) ? "previous"
            : "other";

        var (whichA, whichB) = (Which(a, previous?.A, current.A), Which(b, previous?.B, current.B));
        return whichA == whichB ? whichA : $"{whichA} A, {whichB} B";
    }
}
