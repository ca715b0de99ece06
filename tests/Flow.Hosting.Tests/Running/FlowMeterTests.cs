using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Flow.Execution;
using Flow.Hosting.Tests.Caching;
using Flow.Pipelines;
using static Flow.Hosting.Tests.Caching.CacheHarness;

namespace Flow.Hosting.Tests.Running;

/// <summary>
/// The <c>Flow</c> meter read with a <see cref="MeterListener"/> during real in-process runs with the
/// step cache (computing, replaying, and with a store that cannot be written): every instrument's
/// total per node is the run's own count of the same thing, as its summary shows it.
/// </summary>
public sealed class FlowMeterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("flow-meter-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Runs_PublishEveryInstrumentPerNode_MatchingTheRunsOwnCounts()
    {
        var pipeline = "meter-" + Guid.NewGuid().ToString("N");
        using var meter = new FlowMeterReader(pipeline);
        var definition = Pipeline(pipeline, Step("late", "Filter", new { Where = "delay > 15" }), Step("kms", "Compute", new { Set = new { km = "distance * 1.609" } }));
        var harness = new CacheHarness();
        var store = new Dictionary<string, string?> { ["Flow:Cache:Store"] = "File", ["Flow:Cache:Path"] = Path.Combine(_folder, "cache") };

        var computed = await harness.RunAsync(definition, store);
        AssertMatches(computed, meter.TakeTotals());
        Assert.All(computed.Steps, s => Assert.Equal(BatchCount, s.Misses));

        var replayed = await harness.RunAsync(definition, store);
        AssertMatches(replayed, meter.TakeTotals());
        Assert.All(replayed.Steps, s => Assert.Equal(BatchCount, s.Hits));

        // A file where the cache folder should be: every lookup fails, each batch runs uncached.
        var blocked = Path.Combine(_folder, "not-a-folder");
        await File.WriteAllTextAsync(blocked, "a file");
        var failing = await harness.RunAsync(definition, new Dictionary<string, string?> { ["Flow:Cache:Store"] = "File", ["Flow:Cache:Path"] = Path.Combine(blocked, "cache") });
        AssertMatches(failing, meter.TakeTotals());
        Assert.Contains(failing.Steps, s => s.CacheErrors > 0);
    }

    private static void AssertMatches(CacheRun run, IReadOnlyDictionary<string, double> totals)
    {
        Assert.Equal(RunStatus.Completed, run.Status);
        double Total(string instrument, string node) => totals.GetValueOrDefault($"{instrument}/{node}");
        foreach (var node in run.Result!.Nodes)
        {
            Assert.Equal(node.Batches, Total(FlowMetrics.BatchesName, node.Name));
            Assert.Equal(node.RecordsIn, Total(FlowMetrics.RecordsInName, node.Name));
            Assert.Equal(node.RecordsOut, Total(FlowMetrics.RecordsOutName, node.Name));
            Assert.Equal(node.Hits, Total(FlowMetrics.CacheHitsName, node.Name));
            Assert.Equal(node.Misses, Total(FlowMetrics.CacheMissesName, node.Name));
            Assert.Equal(node.CacheErrors, Total(FlowMetrics.CacheErrorsName, node.Name));
            Assert.Equal(node.FailedBatches, Total(FlowMetrics.BatchesFailedName, node.Name));
            if (node.Kind == NodeKind.Step)
            {
                // One duration per batch the step finished (a replay too); every batch that entered left.
                Assert.Equal(node.Batches, Total(FlowMetrics.StepDurationName + ".count", node.Name));
                Assert.True(Total(FlowMetrics.StepDurationName, node.Name) > 0);
                Assert.Equal(0, Total(FlowMetrics.BatchesInFlightName, node.Name));
                Assert.True(Total(FlowMetrics.BatchesInFlightName + ".max", node.Name) >= 1);
            }
        }
    }

    /// <summary>Sums what the <c>Flow</c> meter reports for one pipeline, per instrument and node (the meter is process-wide).</summary>
    private sealed class FlowMeterReader : IDisposable
    {
        private readonly string _pipeline;
        private readonly MeterListener _listener = new();
        private ConcurrentDictionary<string, double> _totals = new();

        public FlowMeterReader(string pipeline)
        {
            _pipeline = pipeline;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == FlowMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        /// <summary>The totals since the last call (runs are sequential: each call closes one run).</summary>
        public IReadOnlyDictionary<string, double> TakeTotals() => Interlocked.Exchange(ref _totals, new ConcurrentDictionary<string, double>());

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? pipeline = null, node = null;
            foreach (var tag in tags)
            {
                pipeline = tag.Key == "pipeline" ? (string?)tag.Value : pipeline;
                node = tag.Key == "node" ? (string?)tag.Value : node;
            }

            if (pipeline != _pipeline)
            {
                return;
            }

            var totals = _totals;
            var key = $"{instrument.Name}/{node}";
            var total = totals.AddOrUpdate(key, value, (_, sum) => sum + value);
            if (instrument is Histogram<double>)
            {
                totals.AddOrUpdate($"{instrument.Name}.count/{node}", 1, (_, count) => count + 1);
            }
            else if (instrument is UpDownCounter<long>)
            {
                totals.AddOrUpdate($"{instrument.Name}.max/{node}", total, (_, max) => Math.Max(max, total));
            }
        }
    }
}
