using System.Diagnostics;
using Flow.Batches;
using Flow.Execution;
using Flow.Pipelines;
using Flow.Sources;
using Flow.Steps;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Core.Tests.Execution;

/// <summary>Once a run is aborted it ends within the grace, whatever user code does with its token.</summary>
public sealed class LivenessTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    private readonly PipelineHarness _harness = new();

    public LivenessTests()
    {
        _harness.Registry.Register(NodeKind.Step, "Throw", c => new ThrowingStep(c.Parameters.GetInt64("At", 0)));
        _harness.Registry.Register(NodeKind.Step, "Stubborn", _ => new StubbornStep());
        _harness.Registry.Register(NodeKind.Source, "Stuck", _ => new StuckSource());
    }

    [Fact]
    public async Task StepIgnoringItsToken_AfterAnotherStepFails_RunEndsWithinTheGrace_Failed()
    {
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000 } } ],
              "Steps": [
                { "Name": "boom", "Type": "Throw", "Inputs": [ "s" ], "Params": { "At": 25 } },
                { "Name": "stubborn", "Type": "Stubborn", "Inputs": [ "s" ] }
              ],
              "Sinks": [ { "Name": "a", "Type": "Collect", "Inputs": [ "boom" ] }, { "Name": "b", "Type": "Collect", "Inputs": [ "stubborn" ] } ]
            }
            """);

        var clock = Stopwatch.StartNew();
        var result = await Runner().RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("boom", Assert.IsType<StepFailedException>(result.Error).Node);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.False(_harness.Collected("a").Committed);
    }

    [Fact]
    public async Task SourceBlockedOnItsInput_AfterAStepFails_RunEndsWithinTheGrace_AndSaysWhatItAbandoned()
    {
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 1,
              "Sources": [ { "Name": "stuck", "Type": "Stuck" } ],
              "Steps": [ { "Name": "boom", "Type": "Throw", "Params": { "At": 0 } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        var logger = new ListLogger();

        var clock = Stopwatch.StartNew();
        var result = await new PipelineRunner(logger, new RunnerOptions { AbortGrace = Grace }).RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.InRange(clock.Elapsed, Grace, TimeSpan.FromSeconds(10));
        Assert.Contains(logger.Lines, l => l.Contains("source 'stuck' did not stop within 500 ms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopWhileAStepIgnoresItsToken_RunEndsAfterDrainPlusGrace_Interrupted()
    {
        var plan = await _harness.PlanAsync("""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000 } } ],
              "Steps": [ { "Name": "stubborn", "Type": "Stubborn" } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var clock = Stopwatch.StartNew();
        var result = await new PipelineRunner(NullLogger.Instance, new RunnerOptions { AbortGrace = Grace, DrainTimeout = TimeSpan.FromMilliseconds(300) })
            .RunAsync(plan, stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Interrupted, result.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.False(_harness.Collected().Committed);
    }

    private static PipelineRunner Runner() => new(NullLogger.Instance, new RunnerOptions { AbortGrace = Grace });

    /// <summary>Waits forever on every batch but the first, ignoring its token (user code that does).</summary>
    private sealed class StubbornStep : IStep
    {
        private int _calls;

        public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) > 1)
            {
                await new TaskCompletionSource().Task.ConfigureAwait(false);
            }

            return batch.Records;
        }
    }

    /// <summary>Yields one record, then blocks the way a read of a pipe without a writer does: no token observed.</summary>
    private sealed class StuckSource : ISource
    {
        public async IAsyncEnumerable<Record> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new Record { ["id"] = 0L };
            await Task.Run(() => Thread.Sleep(Timeout.Infinite), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly List<string> _lines = new();

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return _lines.ToList();
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
