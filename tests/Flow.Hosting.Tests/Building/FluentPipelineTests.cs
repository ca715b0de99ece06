using Flow.Batches;
using Flow.Hosting.Building;
using Flow.Hosting.Running;
using Flow.Parameters;
using Flow.Steps;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Tests.Building;

public sealed class FluentPipelineTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task AddFlow_CodePipelineWithCustomStep_WritesTheSameOutputAsTheConfigurationPipelineUsingItsAlias()
    {
        var codeOut = _temp.File("code.jsonl");
        var configOut = _temp.File("config.jsonl");
        var builder = CreateBuilder(new Dictionary<string, string?>
        {
            ["Flow:Pipelines:fromConfig:BatchSize"] = "250",
            ["Flow:Pipelines:fromConfig:Sources:0:Name"] = "flights",
            ["Flow:Pipelines:fromConfig:Sources:0:Type"] = "Json",
            ["Flow:Pipelines:fromConfig:Sources:0:Params:Path"] = TestData.FlightsJson,
            ["Flow:Pipelines:fromConfig:Steps:0:Name"] = "late",
            ["Flow:Pipelines:fromConfig:Steps:0:Type"] = "Filter",
            ["Flow:Pipelines:fromConfig:Steps:0:Params:Where"] = "delay > 15",
            ["Flow:Pipelines:fromConfig:Steps:1:Name"] = "route",
            ["Flow:Pipelines:fromConfig:Steps:1:Type"] = "Route",
            ["Flow:Pipelines:fromConfig:Steps:1:Parallelism"] = "3",
            ["Flow:Pipelines:fromConfig:Steps:1:Params:Separator"] = " -> ",
            ["Flow:Pipelines:fromConfig:Sinks:0:Name"] = "out",
            ["Flow:Pipelines:fromConfig:Sinks:0:Type"] = "JsonLines",
            ["Flow:Pipelines:fromConfig:Sinks:0:Params:Path"] = configOut,
        });
        builder.Services.AddFlow(flow => flow
            .AddStep<RouteStep>("Route")
            .Pipeline("fromCode", p => p
                .BatchSize(250)
                .Source("flights", "Json", new { Path = TestData.FlightsJson })
                .Step("late", "Filter", new { Where = "delay > 15" })
                .Step<RouteStep>("route", new { Separator = " -> " }, new StepOptions { Parallelism = 3 })
                .Sink("out", "JsonLines", new { Path = codeOut })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.Success, exitCode);
        var expected = TestData.Flights()
            .Where(f => f.GetProperty("delay").GetInt64() > 15)
            .Select(f => f.GetProperty("origin").GetString() + " -> " + f.GetProperty("destination").GetString())
            .ToList();
        var codeLines = await File.ReadAllLinesAsync(codeOut);
        Assert.Equal(expected.Count, codeLines.Length);
        Assert.All(codeLines.Zip(expected), pair => Assert.EndsWith($",\"route\":\"{pair.Second}\"}}", pair.First, StringComparison.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(configOut), await File.ReadAllBytesAsync(codeOut));
    }

    [Fact]
    public async Task AddFlow_StepThatThrows_ExitCodeIsOneAndTheOutputIsNotPublished()
    {
        var output = _temp.File("out.jsonl");
        var builder = CreateBuilder(new Dictionary<string, string?>());
        builder.Services.AddFlow(flow => flow.Pipeline("failing", p => p
            .BatchSize(100)
            .Source("gen", "Generate", new { Count = 1000 })
            .Step<ThrowAtStep>("boom", new { At = 321 }, new StepOptions { Parallelism = 2 })
            .Sink("out", "JsonLines", new { Path = output })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.Failed, exitCode);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task AddFlow_StepWithAnErrorSink_SendsTheBatchItFailsOnThere_AndSucceeds()
    {
        var output = _temp.File("out.jsonl");
        var errors = _temp.File("errors.jsonl");
        var builder = CreateBuilder(new Dictionary<string, string?>());
        builder.Services.AddFlow(flow => flow.Pipeline("routed", p => p
            .BatchSize(100)
            .Source("gen", "Generate", new { Count = 1000 })
            .Step<ThrowAtStep>("boom", new { At = 321 }, new StepOptions { Parallelism = 2, ErrorSink = "errors" })
            .Sink("out", "JsonLines", new { Path = output })
            .Sink("errors", "JsonLines", new { Path = errors })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.Success, exitCode);
        Assert.Equal(900, (await File.ReadAllLinesAsync(output)).Length);
        var failed = await File.ReadAllLinesAsync(errors);
        Assert.Equal(100, failed.Length);
        Assert.All(failed, line => Assert.StartsWith("""{"pipeline":"routed","node":"boom","source":"gen","batch":3,""", line, StringComparison.Ordinal));
        Assert.All(failed, line => Assert.Contains(""","error":"no 321","record":{"id":3""", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddFlow_SinkWithAnErrorSink_SendsTheBatchItCannotWriteThere_AndSucceeds()
    {
        var errors = _temp.File("errors.jsonl");
        var picky = new RefusesBatchSink(refused: 3);
        var builder = CreateBuilder(new Dictionary<string, string?>());
        builder.Services.AddFlow(flow => flow.Pipeline("routed", p => p
            .BatchSize(100)
            .Source("gen", "Generate", new { Count = 1000 })
            .Sink("out", picky, new SinkOptions { ErrorSink = "errors" })
            .Sink("errors", "JsonLines", new { Path = errors })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.Success, exitCode);
        Assert.Equal(900, picky.Written);
        var failed = await File.ReadAllLinesAsync(errors);
        Assert.Equal(100, failed.Length);
        Assert.All(failed, line => Assert.StartsWith("""{"pipeline":"routed","node":"out","source":"gen","batch":3,""", line, StringComparison.Ordinal));
        Assert.Contains(""","error":"batch 3 refused","record":{"id":300""", failed[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFlow_BadCodePipeline_ExitCodeIsTwo()
    {
        var builder = CreateBuilder(new Dictionary<string, string?>());
        builder.Services.AddFlow(flow => flow.Pipeline("bad", p => p
            .Source("gen", "Generate", new { Count = 10 })
            .Step("nap", "Sleep", new { PerRecord = "abc" })
            .Sink("out", "JsonLines", new { Path = _temp.File("out.jsonl") })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.ConfigurationError, exitCode);
    }

    [Fact]
    public async Task AddFlow_CodePipelineWithParallelismZero_ExitCodeIsTwo()
    {
        var output = _temp.File("out.jsonl");
        var builder = CreateBuilder(new Dictionary<string, string?>());
        builder.Services.AddFlow(flow => flow.Pipeline("bad", p => p
            .Source("gen", "Generate", new { Count = 10 })
            .Step("keep", "Filter", new { Where = "true" }, new StepOptions { Parallelism = 0 })
            .Sink("out", "JsonLines", new { Path = output })));

        var exitCode = await RunHostAsync(builder);

        Assert.Equal(FlowExitCode.ConfigurationError, exitCode);
        Assert.False(File.Exists(output + ".partial"), "nothing may run, no sink may open");
    }

    [Fact]
    public Task ExitCode_NeverRecorded_IsFailedOrTheSignalsCode_NeverSuccess()
    {
        // The host gave up waiting for the run (its shutdown timeout): no outcome was recorded.
        Assert.Equal(FlowExitCode.Failed, new FlowExitCode().Value);
        var terminated = new FlowExitCode();
        terminated.RecordSignal(FlowExitCode.Terminated);
        Assert.Equal(FlowExitCode.Terminated, terminated.Value);
        var recorded = new FlowExitCode();
        recorded.Set(FlowExitCode.Success);
        Assert.Equal(FlowExitCode.Success, recorded.Value);
        return Task.CompletedTask;
    }

    private HostApplicationBuilder CreateBuilder(Dictionary<string, string?> configuration)
    {
        // The content root is an empty folder, so no appsettings.json of the repository is read.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _temp.Path, Args = Array.Empty<string>() });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        return builder;
    }

    private static async Task<int> RunHostAsync(HostApplicationBuilder builder)
    {
        builder.Services.AddFlowWorker();
        using var host = builder.Build();
        var exitCode = host.Services.GetRequiredService<FlowExitCode>();
        await host.RunAsync().WaitAsync(Timeout);
        return exitCode.Value;
    }

    /// <summary>A custom step: adds <c>route</c> = origin, <c>Separator</c>, destination.</summary>
    public sealed class RouteStep : RecordStep
    {
        private readonly string _separator;

        public RouteStep(NodeParameters parameters) => _separator = parameters.GetRequiredString("Separator");

        protected override Record? Process(Record record)
        {
            record["route"] = $"{record["origin"]}{_separator}{record["destination"]}";
            return record;
        }
    }

    /// <summary>Throws on the batch holding id <c>At</c>.</summary>
    /// <summary>Counts the records it is given, and refuses one batch.</summary>
    private sealed class RefusesBatchSink(long refused) : ISink
    {
        private int _written;

        public int Written => Volatile.Read(ref _written);

        public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (batch.Id.Index == refused)
            {
                throw new IOException($"batch {refused} refused");
            }

            Interlocked.Add(ref _written, batch.Count);
            return ValueTask.CompletedTask;
        }

        public ValueTask CommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public sealed class ThrowAtStep : IStep
    {
        private readonly long _at;

        public ThrowAtStep(NodeParameters parameters) => _at = parameters.GetInt64("At", 0);

        public ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken) =>
            batch.Records.Any(r => r["id"] is long id && id == _at)
                ? throw new InvalidOperationException($"no {_at}")
                : new ValueTask<IReadOnlyList<Record>>(batch.Records);
    }
}
