using Flow.Execution;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Caching;

/// <summary>
/// Single-flight in the step cache, with two runs at once in one process over one cache folder (as
/// two workers on one machine): each uncached batch is computed once between them, and a lease is
/// given back when its holder's step fails or its run is aborted (even by a step that ignores the
/// cancellation), so the other run takes the batch over at once rather than after the lease's life.
/// </summary>
/// <remarks>
/// The lease life is ten minutes here: a lease that were not given back would hold the waiting run
/// up far beyond the harness's deadline, and the test would fail.
/// </remarks>
public sealed class SingleFlightTests : IDisposable
{
    private const int WaitingEventId = 215;
    private const int TookOverEventId = 217;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _folder = Directory.CreateTempSubdirectory("flow-single-flight-").FullName;

    internal CacheHarness Harness { get; } = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Dictionary<string, string?> Settings() => new()
    {
        ["Flow:Cache:Store"] = "File",
        ["Flow:Cache:Path"] = Path.Combine(_folder, "cache"),
        ["Flow:Cache:LeaseTime"] = "10m",
    };

    [Fact]
    public async Task TwoRunsAtOnce_ComputeEachBatchOnce_AndBothGiveTheUncachedOutput()
    {
        var definition = Pipeline("flights", Step("tag", "Counting", new { Field = "tagged" }));
        Harness.Probes["tag"].BeforeBatch = _ => Task.Delay(20);
        var reference = await RunWithoutCacheAsync(definition);

        var runs = await Task.WhenAll(Harness.RunAsync(definition, Settings()), Harness.RunAsync(definition, Settings())).WaitAsync(Deadline);

        Assert.All(runs, run => Assert.Equal(RunStatus.Completed, run.Status));
        Assert.All(runs, run => Assert.Equal(reference.Output, run.Output));
        Assert.Equal(BatchCount, Harness.Probes["tag"].Calls); // probes are shared: the calls of both runs
        Assert.Equal(BatchCount, runs.Sum(r => r.Node("tag").Misses));
        Assert.Equal(BatchCount, runs.Sum(r => r.Node("tag").Hits + r.Node("tag").Waited));
        Assert.All(runs, run => Assert.Equal(BatchCount, run.Node("tag").Hits + run.Node("tag").Waited + run.Node("tag").Misses));
    }

    [Fact]
    public async Task HolderStepThrows_TheLeaseIsGivenBack_AndTheWaiterComputesTheBatch()
    {
        var definition = Pipeline("flights", Step("tag", "Counting", new { Field = "tagged" }));
        var reference = await RunWithoutCacheAsync(definition);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstCall = 0;
        Harness.Probes["tag"].BeforeBatch = async index =>
        {
            if (index == 0 && Interlocked.Exchange(ref firstCall, 1) == 0)
            {
                // The first run, holding batch 0's lease: fails once the second waits for it.
                holding.SetResult();
                await WaitForEventAsync(WaitingEventId, "batch 0:");
                throw new InvalidOperationException("the holder fails");
            }
        };

        var holder = Harness.RunAsync(definition, Settings());
        await holding.Task.WaitAsync(Deadline);
        var waiter = await Harness.RunAsync(definition, Settings());

        Assert.Equal(RunStatus.Failed, (await holder).Status);
        Assert.Equal(RunStatus.Completed, waiter.Status);
        Assert.Equal(reference.Output, waiter.Output);
        Assert.Contains(Harness.Logs.Events, e => e.Id.Id == TookOverEventId && e.Message.Contains("batch 0:", StringComparison.Ordinal));
        Assert.Equal(BatchCount, waiter.Node("tag").Hits + waiter.Node("tag").Waited + waiter.Node("tag").Misses);
    }

    [Fact]
    public async Task HolderRunAborted_WhileItsStepIgnoresCancellation_TheLeaseIsGivenBack()
    {
        var definition = Pipeline("flights", Step("tag", "Counting", new { Field = "tagged" }));
        var reference = await RunWithoutCacheAsync(definition);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        var firstCall = 0;
        Harness.Probes["tag"].BeforeBatch = async index =>
        {
            if (index == 0 && Interlocked.Exchange(ref firstCall, 1) == 0)
            {
                // The first run's batch 0: hangs for good, deaf to the abort.
                holding.SetResult();
                await never.Task;
            }
        };

        try
        {
            // Stopped once the second run waits for batch 0: the hung batch does not drain, so the run is aborted and the step abandoned.
            using var stop = new CancellationTokenSource();
            var options = new RunnerOptions { DrainTimeout = TimeSpan.FromMilliseconds(200), AbortGrace = TimeSpan.FromMilliseconds(200) };
            var holder = Harness.RunAsync(definition, Settings(), options, stop.Token);
            await holding.Task.WaitAsync(Deadline);
            var waiter = Harness.RunAsync(definition, Settings());
            await WaitForEventAsync(WaitingEventId);
            await stop.CancelAsync();

            Assert.Equal(RunStatus.Interrupted, (await holder).Status);
            var waited = await waiter;
            Assert.Equal(RunStatus.Completed, waited.Status);
            Assert.Equal(reference.Output, waited.Output);
            Assert.Contains(Harness.Logs.Events, e => e.Id.Id == TookOverEventId && e.Message.Contains("batch 0:", StringComparison.Ordinal));
        }
        finally
        {
            never.SetResult();
        }
    }

    [Fact]
    public async Task WhileABatchComputes_TheNextBatchsLeaseIsTakenAlready_AndNoFurtherOne()
    {
        var definition = Pipeline("flights", Step("tag", "Counting", new { Field = "tagged" }));
        var reference = await RunWithoutCacheAsync(definition);
        var cache = Path.Combine(_folder, "cache");
        int Locks() => Directory.Exists(cache) ? Directory.EnumerateFiles(cache, ".lock-*", SearchOption.AllDirectories).Count() : 0;
        var seen = new List<int>();
        Harness.Probes["tag"].BeforeBatch = async index =>
        {
            if (index == 0)
            {
                // Batch 0 computes (Parallelism 1): its own lease, and the next batch's taken meanwhile.
                using var deadline = new CancellationTokenSource(Deadline);
                while (Locks() < 2)
                {
                    await Task.Delay(10, deadline.Token);
                }

                // Given time, no third batch takes a lease: the rest wait for a lease slot.
                await Task.Delay(300);
                seen.Add(Locks());
            }
        };

        var run = await Harness.RunAsync(definition, Settings()).WaitAsync(Deadline);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(reference.Output, run.Output);
        Assert.Equal([2], seen);
        Assert.Equal(BatchCount, run.Node("tag").Misses);
        Assert.Equal(0, Locks()); // every lease given back
    }

    [Fact]
    public async Task WhileABatchsEntryIsWritten_TheNextBatchComputes()
    {
        // The first entry write blocks its thread, as a file write does: the step's one compute slot
        // must already be free, or the next batch would wait for the first one's write.
        var definition = Pipeline("flights", Step("tag", "Counting", new { Field = "tagged" }));
        var reference = await RunWithoutCacheAsync(definition);
        var writeBlockedAtTheSecondCompute = false;
        var computes = 0;
        Harness.Probes["tag"].BeforeBatch = async _ =>
        {
            // The second batch to compute, whichever it is: with lookahead, batch 1 may take the
            // compute slot before batch 0 (then waiting here for batch 0's write would never end).
            if (Interlocked.Increment(ref computes) == 2)
            {
                using var deadline = new CancellationTokenSource(Deadline);
                while (!Harness.BlockingWrites.WriteStarted)
                {
                    await Task.Delay(5, deadline.Token);
                }

                writeBlockedAtTheSecondCompute = Harness.BlockingWrites.WriteBlocked;
                Harness.BlockingWrites.ReleaseWrites();
            }
        };

        var run = await Harness.RunAsync(definition, new Dictionary<string, string?> { ["Flow:Cache:Store"] = "BlockingWrite" }).WaitAsync(Deadline);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(writeBlockedAtTheSecondCompute);
        Assert.Equal(reference.Output, run.Output);
        Assert.Equal(BatchCount, run.Node("tag").Misses);
    }

    // With a batch named, the event must be about that batch: the runs work on several batches at
    // once, so the first wait logged may be for another one.
    private async Task WaitForEventAsync(int eventId, string? batch = null)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!Harness.Logs.Events.Any(e => e.Id.Id == eventId && (batch is null || e.Message.Contains(batch, StringComparison.Ordinal))))
        {
            await Task.Delay(10, deadline.Token);
        }
    }
}
