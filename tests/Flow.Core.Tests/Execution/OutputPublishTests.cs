using System.Text.Json;
using Flow.Batches;
using Flow.Execution;
using Flow.Pipelines;
using Flow.Sinks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests.Execution;

/// <summary>Every sink of a run is published together, after all have flushed; a failed run leaves the previous outputs.</summary>
public sealed class OutputPublishTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public OutputPublishTests()
    {
        _harness.Registry.Register(NodeKind.Sink, "FailingFlush", _ => new FailingSink(failFlush: true));
        _harness.Registry.Register(NodeKind.Sink, "FailingCommit", _ => new FailingSink(failFlush: false));
    }

    public void Dispose() => _temp.Dispose();

    private string Journals => _temp.File("journals");

    [Fact]
    public async Task SecondSinkFailingToFlush_PublishesNothing_ThePreviousOutputStaysAsItWas()
    {
        var path = _temp.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"previous\":true}\n");

        var result = await RunAsync(Pipeline($$"""
            { "Name": "file", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } },
            { "Name": "bad", "Type": "FailingFlush" }
            """));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("sink 'bad' could not flush its output", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("no output of this run was published", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal("{\"previous\":true}\n", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task SinkFailingToPublish_AfterAnotherWasPublished_SaysWhichOutputsAreNew()
    {
        var path = _temp.File("out.jsonl");

        var result = await RunAsync(Pipeline($$"""
            { "Name": "file", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(path)}} } },
            { "Name": "bad", "Type": "FailingCommit" }
            """));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("sink 'bad' could not publish its output", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("already published (new): file; not published (previous output kept): bad", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoFileSinks_ArePublishedTogether_AndNoJournalIsLeft()
    {
        var (a, b) = (_temp.File("a.jsonl"), _temp.File("b.csv"));

        var result = await RunAsync(Pipeline($$"""
            { "Name": "a", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(a)}} } },
            { "Name": "b", "Type": "Csv", "Params": { "Path": {{TestData.Quote(b)}} } }
            """));

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(20, File.ReadAllLines(a).Length);
        Assert.Equal(21, File.ReadAllLines(b).Length);
        Assert.False(File.Exists(a + ".partial") || File.Exists(b + ".partial"));
        Assert.Empty(Directory.Exists(Journals) ? Directory.GetFiles(Journals) : []);
    }

    [Fact]
    public async Task JournalOfAPublishCutShort_IsCompletedBeforeTheNextRun_ThenRemoved()
    {
        // What a process killed between the two renames leaves: a is new already, b's new content still waits.
        var (a, b) = (_temp.File("a.jsonl"), _temp.File("b.jsonl"));
        await File.WriteAllTextAsync(a, "new a\n");
        await File.WriteAllTextAsync(b, "old b\n");
        await File.WriteAllTextAsync(b + ".partial", "new b\n");
        Directory.CreateDirectory(Journals);
        var journal = Path.Combine(Journals, "pipeline.p.json");
        await File.WriteAllTextAsync(journal, JsonSerializer.Serialize(new[]
        {
            new { From = a + ".partial", To = a },
            new { From = b + ".partial", To = b },
        }));
        var publisher = new OutputPublisher("p", Journals, NullLogger.Instance);

        publisher.CompleteInterruptedPublish();

        Assert.Equal("new a\n", await File.ReadAllTextAsync(a));
        Assert.Equal("new b\n", await File.ReadAllTextAsync(b));
        Assert.False(File.Exists(b + ".partial"));
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public async Task RunOfAPipelineWithAnInterruptedPublish_FinishesItFirst()
    {
        var (a, b) = (_temp.File("a.jsonl"), _temp.File("b.jsonl"));
        await File.WriteAllTextAsync(b + ".partial", "new b\n");
        Directory.CreateDirectory(Journals);
        await File.WriteAllTextAsync(Path.Combine(Journals, "pipeline.p.json"), JsonSerializer.Serialize(new[] { new { From = b + ".partial", To = b } }));
        var gate = new GateStep(atBatch: 0);
        _harness.Registry.Register(NodeKind.Step, "Gate", _ => gate);
        var plan = await _harness.PlanAsync($$"""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "g", "Type": "Generate", "Params": { "Count": 20 } } ],
              "Steps": [ { "Name": "gate", "Type": "Gate" } ],
              "Sinks": [
                { "Name": "a", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(a)}} } },
                { "Name": "b", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(b)}} } } ]
            }
            """);

        var run = Runner().RunAsync(plan, CancellationToken.None);
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        // Before this run writes anything, the cut-short publish is complete.
        Assert.Equal("new b\n", await File.ReadAllTextAsync(b));
        gate.Release();
        Assert.Equal(RunStatus.Completed, (await run.WaitAsync(TimeSpan.FromSeconds(30))).Status);
    }

    private PipelineRunner Runner() => new(NullLogger.Instance, new RunnerOptions { PublishJournalDirectory = Journals });

    private async Task<PipelineResult> RunAsync(string pipeline) => await Runner().RunAsync(await _harness.PlanAsync(pipeline), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    private static string Pipeline(string sinks) => $$"""
        { "BatchSize": 10, "Sources": [ { "Name": "g", "Type": "Generate", "Params": { "Count": 20 } } ], "Sinks": [ {{sinks}} ] }
        """;

    private sealed class FailingSink(bool failFlush) : ISink
    {
        public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask FlushAsync(CancellationToken cancellationToken) =>
            failFlush ? throw new IOException("disk full") : ValueTask.CompletedTask;

        public ValueTask CommitAsync(CancellationToken cancellationToken) => throw new IOException("permission denied");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
