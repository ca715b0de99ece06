using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Flow.Execution;
using Flow.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests.Execution;

/// <summary>
/// Sources that form their own batches (streams): each batch is acknowledged once every sink it
/// reaches has written it, a failure its source handles fails the batch and not the run, and an
/// unbounded pipeline appends to its files, ends on a stop with success, and merges as batches come.
/// </summary>
public sealed class BatchSourceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();
    private readonly ConcurrentDictionary<string, FakeStream> _streams = new();

    public BatchSourceTests()
    {
        _harness.Registry.Register(NodeKind.Source, "Stream", c => _streams[c.NodeName]);
        _harness.Registry.Register(NodeKind.Step, "Throw", c => new ThrowingStep(c.Parameters.GetInt64("At", 0)));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EveryBatch_IsAcknowledgedOnceEverySinkReachedWroteIt_DroppedRecordsIncluded()
    {
        var stream = Add("s", new FakeStream(unbounded: false, batches: 5, size: 10));
        var plan = await _harness.PlanAsync("""
            {
              "Sources": [ { "Name": "s", "Type": "Stream" } ],
              "Steps": [
                { "Name": "none", "Type": "Filter", "Inputs": [ "s" ], "Params": { "Where": "false" } },
                { "Name": "all", "Type": "Filter", "Inputs": [ "s" ], "Params": { "Where": "true" } }
              ],
              "Sinks": [
                { "Name": "a", "Type": "Collect", "Inputs": [ "none" ] },
                { "Name": "b", "Type": "Collect", "Inputs": [ "all" ] }
              ]
            }
            """);

        var result = await PipelineHarness.RunAsync(plan);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"completed {i}"), stream.Events.Order(StringComparer.Ordinal));
        Assert.Equal(50, _harness.Collected("b").Records.Count);
        Assert.Empty(_harness.Collected("a").Records);
    }

    [Fact]
    public async Task BoundedRunWithAFileSink_AcknowledgesOnlyAfterThePublish()
    {
        var stream = Add("s", new FakeStream(unbounded: false, batches: 3, size: 10));
        var output = _temp.File("out.jsonl");
        var plan = await _harness.PlanAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Stream" } ],
              "Sinks": [ { "Name": "o", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(output)}} } } ]
            }
            """);
        stream.OnReceipt = () => Assert.True(File.Exists(output), "a batch was acknowledged before its output was published");

        var result = await PipelineHarness.RunAsync(plan);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(3, stream.Events.Count(e => e.StartsWith("completed", StringComparison.Ordinal)));
        Assert.Null(stream.ReceiptError);
    }

    [Fact]
    public async Task FailureTheSourceHandles_FailsThatBatchOnly_TheOthersGoOnAndAreAcknowledged()
    {
        var stream = Add("s", new FakeStream(unbounded: false, batches: 5, size: 10, handlesFailures: true));
        var plan = await _harness.PlanAsync("""
            {
              "Sources": [ { "Name": "s", "Type": "Stream" } ],
              "Steps": [ { "Name": "boom", "Type": "Throw", "Params": { "At": 25 } }, { "Name": "keep", "Type": "Filter", "Params": { "Where": "true" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var result = await PipelineHarness.RunAsync(plan);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(["completed 0", "completed 1", "completed 3", "completed 4", "failed 2"], stream.Events.Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(0, 50).Where(i => i / 10 != 2).Select(i => (object?)(long)i), _harness.Collected().Records.Select(r => r["id"]));
    }

    [Fact]
    public async Task FailureRoutedToAnErrorSink_IsNotTheSourcesToHandle_EveryBatchIsAcknowledgedOnceItsFailuresAreWritten()
    {
        var stream = Add("s", new FakeStream(unbounded: true, batches: 5, size: 10, handlesFailures: true));
        var output = _temp.File("out.jsonl");
        var errors = _temp.File("errors.jsonl");
        var plan = await _harness.PlanAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Stream" } ],
              "Steps": [ { "Name": "boom", "Type": "Throw", "ErrorSink": "errors", "Params": { "At": 25 } } ],
              "Sinks": [
                { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(output)}} } },
                { "Name": "errors", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(errors)}} } }
              ]
            }
            """);
        using var stop = new CancellationTokenSource();

        var run = new PipelineRunner(NullLogger.Instance).RunAsync(plan, stop.Token);
        await stream.AllAcknowledged.WaitAsync(Timeout);

        // Acknowledged means written, the failures included: both files hold their lines while the run goes on.
        Assert.Equal(40, (await File.ReadAllLinesAsync(output)).Length);
        var failed = await File.ReadAllLinesAsync(errors);
        Assert.Equal(10, failed.Length);
        Assert.StartsWith("""{"pipeline":"p","node":"boom","source":"s","batch":2,"index":0,"error":"boom at id 25","record":{"id":20}}""", failed[0], StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(RunStatus.Completed, (await run.WaitAsync(Timeout)).Status);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"completed {i}"), stream.Events.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FailureOfAnOrdinarySource_StillFailsTheRun()
    {
        Add("s", new FakeStream(unbounded: false, batches: 5, size: 10, handlesFailures: false));
        var plan = await _harness.PlanAsync("""
            { "Sources": [ { "Name": "s", "Type": "Stream" } ], "Steps": [ { "Name": "boom", "Type": "Throw", "Params": { "At": 25 } } ], "Sinks": [ { "Name": "out", "Type": "Collect" } ] }
            """);

        Assert.Equal(RunStatus.Failed, (await PipelineHarness.RunAsync(plan)).Status);
    }

    [Fact]
    public async Task UnboundedPipeline_AppendsToItsFile_AndAStopIsASuccessfulEnd()
    {
        var stream = Add("s", new FakeStream(unbounded: true, batches: 4, size: 10));
        var output = _temp.File("out.jsonl");
        await File.WriteAllTextAsync(output, "{\"earlier\":true}\n");
        var plan = await _harness.PlanAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Stream" } ],
              "Sinks": [ { "Name": "o", "Type": "JsonLines", "Params": { "Path": {{TestData.Quote(output)}} } } ]
            }
            """);
        using var stop = new CancellationTokenSource();

        var run = new PipelineRunner(NullLogger.Instance).RunAsync(plan, stop.Token);
        await stream.AllAcknowledged.WaitAsync(Timeout);

        // Acknowledged means written: the lines are in the file itself while the run goes on.
        Assert.Equal(41, (await File.ReadAllLinesAsync(output)).Length);
        Assert.False(File.Exists(output + ".partial"));
        await stop.CancelAsync();
        var result = await run.WaitAsync(Timeout);

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal("{\"earlier\":true}", (await File.ReadAllLinesAsync(output))[0]);
    }

    [Fact]
    public async Task UnboundedFanIn_AQuietInputDoesNotHoldUpTheOther()
    {
        var busy = Add("busy", new FakeStream(unbounded: true, batches: 6, size: 5));
        Add("quiet", new FakeStream(unbounded: true, batches: 0, size: 5));
        var plan = await _harness.PlanAsync("""
            {
              "Sources": [ { "Name": "busy", "Type": "Stream" }, { "Name": "quiet", "Type": "Stream" } ],
              "Steps": [ { "Name": "both", "Type": "Filter", "Inputs": [ "busy", "quiet" ], "Params": { "Where": "true" } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        using var stop = new CancellationTokenSource();

        var run = new PipelineRunner(NullLogger.Instance).RunAsync(plan, stop.Token);
        await busy.AllAcknowledged.WaitAsync(Timeout);
        await stop.CancelAsync();

        Assert.Equal(RunStatus.Completed, (await run.WaitAsync(Timeout)).Status);
        Assert.Equal(30, _harness.Collected().Records.Count);
    }

    private FakeStream Add(string name, FakeStream stream)
    {
        _streams[name] = stream;
        return stream;
    }

    /// <summary>A stream of numbered records in fixed batches; unbounded ones then wait for the stop.</summary>
    private sealed class FakeStream(bool unbounded, int batches, int size, bool handlesFailures = false) : IBatchSource, ISource
    {
        private readonly TaskCompletionSource _allAcknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _acknowledged;

        public ConcurrentQueue<string> Events { get; } = new();

        public Action? OnReceipt { get; set; }

        public Exception? ReceiptError { get; private set; }

        public Task AllAcknowledged => _allAcknowledged.Task;

        public bool IsUnbounded => unbounded;

        public async IAsyncEnumerable<SourceBatch> ReadBatchesAsync(int batchSize, CancellationToken stop, [EnumeratorCancellation] CancellationToken abort)
        {
            for (var b = 0; b < batches; b++)
            {
                var records = Enumerable.Range(b * size, size).Select(i => new Record { ["id"] = (long)i }).ToList();
                yield return new SourceBatch(new BatchId("s", b, b * size), records, new Receipt(this, b));
            }

            if (batches == 0)
            {
                _allAcknowledged.TrySetResult();
            }

            if (unbounded)
            {
                await Task.Delay(System.Threading.Timeout.Infinite, stop).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        public IAsyncEnumerable<Record> ReadAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        private sealed class Receipt(FakeStream stream, int batch) : IBatchReceipt
        {
            public bool HandlesFailures => stream.HandlesFailures;

            public void Completed()
            {
                try
                {
                    stream.OnReceipt?.Invoke();
                }
                catch (Exception ex)
                {
                    stream.ReceiptError = ex;
                }

                stream.Events.Enqueue($"completed {batch}");
                if (Interlocked.Increment(ref stream._acknowledged) == stream.Batches)
                {
                    stream._allAcknowledged.TrySetResult();
                }
            }

            public void Failed(Exception error) => stream.Events.Enqueue($"failed {batch}");
        }

        private bool HandlesFailures => handlesFailures;

        private int Batches => batches;
    }
}
