using Flow.Execution;
using Flow.Pipelines;
using Flow.Sinks;

namespace Flow.Core.Tests.Execution;

/// <summary>
/// <c>ErrorSink</c>: the records a step fails on (one by one for a record step, the whole batch
/// for any other) go to the named sink with the error, the node and the batch, and the run goes on;
/// a sink that cannot write a batch sends that batch there.
/// </summary>
public sealed class ErrorSinkTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();

    public ErrorSinkTests()
    {
        _harness.Registry.Register(NodeKind.Step, "Throw", c => new ThrowingStep(c.Parameters.GetInt64("At", 0)));
        _harness.Registry.Register(NodeKind.Step, "FailEvery", c => new FailEveryStep(c.Parameters.GetInt64("Every", 7)));
        _harness.Registry.Register(NodeKind.Sink, "FailAt", c => new FailingSink(c.Parameters.GetInt64("At", 0)));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RecordStep_FailingOnSomeRecords_SendsOnlyThoseToTheErrorSink_AsTheyCame_AndTheRunCompletes()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000, "Seed": 4 } } ],
              "Steps": [ { "Name": "score", "Type": "FailEvery", "ErrorSink": "errors", "Params": { "Every": 7 } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "errors", "Type": "Collect" } ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.ToString());
        var failing = Enumerable.Range(0, 1000).Where(i => i % 7 == 3).ToList();
        Assert.Equal(Enumerable.Range(0, 1000).Except(failing).Select(i => (long)i), _harness.Collected("out").Records.Select(r => (long)r["id"]!));
        Assert.All(_harness.Collected("out").Records, r => Assert.Equal(true, r["scored"]));

        var errors = _harness.Collected("errors").Records;
        Assert.Equal(failing.Count, errors.Count);
        Assert.Equal(failing.Select(i => (long)i), errors.Select(e => (long)((Record)e["record"]!)["id"]!));
        var first = errors[0];
        Assert.Equal(new[] { "pipeline", "node", "source", "batch", "index", "error", "record" }, first.Names);
        Assert.Equal("p", first["pipeline"]);
        Assert.Equal("score", first["node"]);
        Assert.Equal("s", first["source"]);
        Assert.Equal(0L, first["batch"]);
        Assert.Equal(3L, first["index"]);
        Assert.Equal("record 3 is not welcome", first["error"]);

        // As it came in: the step had set "scored" on it before it threw.
        Assert.False(((Record)first["record"]!).Contains("scored"));
        // Batch and index locate the record: batches of 100 straight from the source.
        Assert.All(errors, e => Assert.Equal((long)((Record)e["record"]!)["id"]!, ((long)e["batch"]! * 100) + (long)e["index"]!));

        var step = result.Nodes.Single(n => n.Name == "score");
        Assert.Equal(failing.Count, step.ErrorsRouted);
        Assert.Equal(1000 - failing.Count, step.RecordsOut);
        Assert.Equal(failing.Count, result.Nodes.Single(n => n.Name == "errors").RecordsIn);
        Assert.True(_harness.Collected("errors").Committed);
    }

    [Fact]
    public async Task BatchStep_ThatFails_SendsItsWholeBatchToTheErrorSink_AndTheOtherBatchesGoOn()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000, "Seed": 4 } } ],
              "Steps": [ { "Name": "boom", "Type": "Throw", "ErrorSink": "errors", "Parallelism": 3, "Params": { "At": 456 } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "errors", "Type": "Collect" } ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.ToString());
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => i / 100 != 4).Select(i => (long)i), _harness.Collected("out").Records.Select(r => (long)r["id"]!));
        var errors = _harness.Collected("errors").Records;
        Assert.Equal(Enumerable.Range(400, 100).Select(i => (long)i), errors.Select(e => (long)((Record)e["record"]!)["id"]!));
        Assert.All(errors, e => Assert.Equal("boom at id 456", e["error"]));
        Assert.All(errors, e => Assert.Equal(4L, e["batch"]));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), errors.Select(e => (long)e["index"]!));
        Assert.Equal(100, result.Nodes.Single(n => n.Name == "boom").ErrorsRouted);
    }

    [Fact]
    public async Task SinkThatCannotWriteABatch_SendsItToItsErrorSink_AndWritesTheRest()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 10,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 50, "Seed": 4 } } ],
              "Steps": [ { "Name": "all", "Type": "Filter", "Params": { "Where": "true" } } ],
              "Sinks": [
                { "Name": "picky", "Type": "FailAt", "ErrorSink": "errors", "Params": { "At": 23 } },
                { "Name": "errors", "Type": "Collect" }
              ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.ToString());
        var errors = _harness.Collected("errors").Records;
        Assert.Equal(Enumerable.Range(20, 10).Select(i => (long)i), errors.Select(e => (long)((Record)e["record"]!)["id"]!));
        Assert.All(errors, e => Assert.Equal("picky", e["node"]));
        Assert.All(errors, e => Assert.Equal("cannot write id 23", e["error"]));
        Assert.Equal(10, result.Nodes.Single(n => n.Name == "picky").ErrorsRouted);
        Assert.Equal(40, result.Nodes.Single(n => n.Name == "picky").RecordsIn);
    }

    [Fact]
    public async Task TwoStepsIntoOneErrorSink_EveryFailureArrives_EachStepsInOrder()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 50,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 2000, "Seed": 4 } } ],
              "Steps": [
                { "Name": "a", "Type": "FailEvery", "ErrorSink": "errors", "Params": { "Every": 5 } },
                { "Name": "b", "Type": "Throw", "ErrorSink": "errors", "Params": { "At": 1001 } }
              ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "errors", "Type": "Collect" } ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.ToString());
        var errors = _harness.Collected("errors").Records;
        var fromA = errors.Where(e => (string)e["node"]! == "a").Select(e => (long)((Record)e["record"]!)["id"]!).ToList();
        var fromB = errors.Where(e => (string)e["node"]! == "b").Select(e => (long)((Record)e["record"]!)["id"]!).ToList();
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i % 5 == 3).Select(i => (long)i), fromA);
        Assert.Equal(Enumerable.Range(1000, 50).Where(i => i % 5 != 3).Select(i => (long)i), fromB);
        Assert.Equal(2000 - fromA.Count - fromB.Count, _harness.Collected("out").Records.Count);
    }

    [Fact]
    public async Task WithoutAnErrorSink_AFailingRecordStillFailsTheRun()
    {
        var result = await _harness.RunAsync("""
            {
              "BatchSize": 100,
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 1000, "Seed": 4 } } ],
              "Steps": [ { "Name": "score", "Type": "FailEvery", "Params": { "Every": 7 } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("record 3 is not welcome", Assert.IsType<StepFailedException>(result.Error).Message, StringComparison.Ordinal);
        Assert.False(_harness.Collected().Committed);
    }

    [Fact]
    public async Task ErrorSinkWithoutInputs_ReadsNoStep_AndComesAfterItsProducersInThePlan()
    {
        var plan = await _harness.PlanAsync("""
            {
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 10 } } ],
              "Steps": [ { "Name": "score", "Type": "FailEvery", "ErrorSink": "errors" } ],
              "Sinks": [ { "Name": "errors", "Type": "Collect" }, { "Name": "out", "Type": "Collect" } ]
            }
            """);

        var errors = plan.Nodes.Single(n => n.Name == "errors");
        Assert.Empty(errors.Inputs);
        Assert.Equal(new[] { "score" }, errors.ErrorProducers.Select(n => n.Name));
        Assert.Equal("errors", plan.Nodes.Single(n => n.Name == "score").ErrorSink!.Name);
        Assert.Equal(new[] { "s", "score", "errors", "out" }, plan.Nodes.Select(n => n.Name));
        Assert.Equal(new[] { "score" }, plan.Nodes.Single(n => n.Name == "out").Inputs.Select(n => n.Name));
    }

    [Theory]
    [InlineData("""{ "Name": "score", "Type": "FailEvery", "ErrorSink": "erors" }""", "Flow:Pipelines:p:Steps:0:ErrorSink", "'erors' is not a node of this pipeline (did you mean 'errors'?); ErrorSink names one of its sinks (out, errors)")]
    [InlineData("""{ "Name": "score", "Type": "FailEvery", "ErrorSink": "score" }""", "Flow:Pipelines:p:Steps:0:ErrorSink", "'score' is a step; ErrorSink names one of the pipeline's sinks (out, errors)")]
    [InlineData("""{ "Name": "score", "Type": "FailEvery", "ErrorSink": "" }""", "Flow:Pipelines:p:Steps:0:ErrorSink", "is empty; name a sink of this pipeline, or leave ErrorSink out")]
    public async Task ErrorSink_NamingNoSink_IsAConfigurationErrorAtTheKey(string step, string path, string message)
    {
        var errors = await _harness.ConfigurationErrorsAsync($$"""
            {
              "Sources": [ { "Name": "s", "Type": "Generate", "Params": { "Count": 10 } } ],
              "Steps": [ {{step}} ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "errors", "Type": "Collect" } ]
            }
            """);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task ErrorSink_OfASource_OfItself_WithItsOwn_OrReadingItsProducer_AreConfigurationErrors()
    {
        var errors = await _harness.ConfigurationErrorsAsync("""
            {
              "Sources": [ { "Name": "s", "Type": "Generate", "ErrorSink": "out", "Params": { "Count": 10 } } ],
              "Steps": [
                { "Name": "a", "Type": "FailEvery", "ErrorSink": "chained" },
                { "Name": "b", "Type": "FailEvery", "ErrorSink": "out" }
              ],
              "Sinks": [
                { "Name": "out", "Type": "Collect", "Inputs": [ "a", "b" ] },
                { "Name": "self", "Type": "Collect", "Inputs": [ "b" ], "ErrorSink": "self" },
                { "Name": "chained", "Type": "Collect", "ErrorSink": "out" }
              ]
            }
            """);

        Assert.Equal(
            new[]
            {
                "Flow:Pipelines:p:Sinks:1:ErrorSink: 'self' cannot be its own error sink: name another sink",
                "Flow:Pipelines:p:Sources:0:ErrorSink: applies to steps and sinks, not to sources (a source's unreadable input fails the run, or goes to its own dead-letter stream)",
                "Flow:Pipelines:p:Steps:0:ErrorSink: 'chained' names an ErrorSink of its own ('out'); an error sink cannot pass its failures on (a failure to write an error stops the run), so name a sink without one",
                "Flow:Pipelines:p:Steps:1:ErrorSink: 'out' also reads the output of 'b'; an error sink gets failures only, so name another sink (or take 'b' out of the Inputs of 'out')",
            },
            errors.Select(e => $"{e.Path}: {e.Message}").Order(StringComparer.Ordinal));
    }

    /// <summary>A record step that marks each record, and throws (after marking it) on every record whose id % Every is 3.</summary>
    private sealed class FailEveryStep(long every) : RecordStep
    {
        protected override Record? Process(Record record)
        {
            record.Set("scored", true);
            var id = (long)record["id"]!;
            return id % every == 3 ? throw new InvalidOperationException($"record {id} is not welcome") : record;
        }
    }

    /// <summary>A sink that keeps nothing and fails the batch holding the record whose id is <paramref name="at"/>.</summary>
    private sealed class FailingSink(long at) : ISink
    {
        public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken) =>
            batch.Records.Any(r => r["id"] is long id && id == at)
                ? throw new IOException($"cannot write id {at}")
                : ValueTask.CompletedTask;

        public ValueTask CommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
