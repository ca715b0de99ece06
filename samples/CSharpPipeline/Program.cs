// A pipeline written in C#, with a custom step, in an ordinary generic host.
// Run from the repository root: dotnet run --project samples/CSharpPipeline
using Flow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlow(flow => flow
    .AddStep<Score>("Score")                  // usable as "Type": "Score" in configuration too
    .Pipeline("scored-flights", p => p
        .BatchSize(500)
        .Source("flights", "Json", new { Path = "samples/data/flights-20k.json" })
        .Step("late", "Filter", new { Where = "delay > 15" })
        .Step<Score>("score", new { Weight = 2 }, new StepOptions { Parallelism = 2 })
        .Sink("out", "JsonLines", new { Path = "out/scored-flights.jsonl" })));
builder.Services.AddFlowWorker();             // run the pipelines once, then stop (a web app leaves this out)

using var host = builder.Build();
var exitCode = host.Services.GetRequiredService<FlowExitCode>();
await host.RunAsync();
return exitCode.Value;

// A custom step: one batch in, one batch out. Its constructor may take NodeParameters and any DI
// service. Bump its StepVersion when its logic changes, and its cached results are not replayed.
[StepVersion("1")]
public sealed class Score(NodeParameters parameters) : RecordStep
{
    private readonly long _weight = parameters.GetInt64("Weight", 1);

    protected override Record? Process(Record record)
    {
        record["score"] = (record["delay"] is long delay ? delay : 0) * _weight;
        return record;
    }
}
